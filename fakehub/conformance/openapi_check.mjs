// Every JSON response fakehub sent during the conformance runs, against
// GitHub's official REST description (@octokit/openapi, pinned in
// package.json): the operation is found by method and path, the schema by
// status, and the body must validate.
//
//   node openapi_check.mjs HUB_URL
//
// Prints the figures (responses valid, operations covered), the first
// failures, and exits 1 when any response does not validate.
import { createRequire } from "node:module";
import Ajv from "ajv";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const require = createRequire(import.meta.url);
const description = require("@octokit/openapi/generated/api.github.com.json");
const webhooks = require("@octokit/openapi-webhooks/generated/api.github.com.json");
const [hub] = process.argv.slice(2);

// OpenAPI 3.0's `nullable: true` in JSON Schema's words: `null` is one
// more type (and enum value), or one more alternative.
const stack = [description];
while (stack.length) {
  const node = stack.pop();
  if (Array.isArray(node)) {
    stack.push(...node);
    continue;
  }
  if (!node || typeof node !== "object") continue;
  if (node.nullable === true) {
    delete node.nullable;
    if (node.type) {
      node.type = [].concat(node.type, "null");
      if (node.enum && !node.enum.includes(null)) node.enum.push(null);
    } else {
      const inner = { ...node };
      for (const key of Object.keys(node)) delete node[key];
      node.anyOf = [inner, { type: "null" }];
    }
  } else if (node.nullable === false) {
    delete node.nullable;
  }
  stack.push(...Object.values(node));
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
ajv.addSchema(description, "rest");

// Path templates, the most literal first: `/repos/{owner}/{repo}/issues/{issue_number}`.
const templates = Object.keys(description.paths)
  .map((template) => {
    const pattern = template
      .split("/")
      .map((part) => (part.startsWith("{") ? (part === "{path}" || part === "{ref}" ? "(.+)" : "([^/]+)") : part.replace(/[.*+?^$()|[\]\\]/g, "\\$&")))
      .join("/");
    const params = (template.match(/\{/g) ?? []).length;
    return { template, regex: new RegExp(`^${pattern}$`), params };
  })
  .sort((a, b) => a.params - b.params);

// Where the description contradicts itself, and GitHub's answers with it:
// fakehub answers as GitHub does, and the response is counted apart.
const KNOWN_DEFECTS = {
  "GET /app/installations":
    "the response's `account` is `allOf` a user and an enterprise (the component says `anyOf`): no account satisfies both",
};

const pointer = (...parts) => "rest#/" + parts.map((p) => String(p).replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

const recorded = await (await fetch(`${hub}/_fakehub/responses`)).json();
let valid = 0;
const invalid = [];
const unknown = new Set();
const covered = new Set();
const defects = new Set();
for (const { method, path, status, body } of recorded) {
  const plain = path.replace(/^\/api\/v3/, "");
  if (plain === "/graphql") continue; // GraphQL has its own schema, not REST's
  const match = templates.find((t) => t.regex.test(plain) && description.paths[t.template][method.toLowerCase()]);
  if (!match) {
    unknown.add(`${method} ${plain}`);
    continue;
  }
  const operation = description.paths[match.template][method.toLowerCase()];
  covered.add(`${method} ${match.template}`);
  if (KNOWN_DEFECTS[`${method} ${match.template}`]) {
    defects.add(`${method} ${match.template}: ${KNOWN_DEFECTS[`${method} ${match.template}`]}`);
    continue;
  }
  const response = operation.responses[String(status)] ?? operation.responses.default;
  const content = response?.content?.["application/json"];
  if (!content?.schema) {
    if (status >= 400) {
      valid += 1; // an error GitHub describes without a body schema
      continue;
    }
    invalid.push(`${method} ${match.template} ${status}: the description has no JSON response for this status`);
    continue;
  }
  const validate = ajv.getSchema(
    pointer("paths", match.template, method.toLowerCase(), "responses", operation.responses[String(status)] ? String(status) : "default", "content", "application/json", "schema"),
  );
  if (validate(body)) {
    valid += 1;
  } else {
    const why = validate.errors
      .slice(0, 12)
      .map((e) => `${e.instancePath || "/"} ${e.message}${e.params?.missingProperty ? ` (${e.params.missingProperty})` : ""}`)
      .join("; ");
    invalid.push(`${method} ${match.template} ${status}: ${why}`);
  }
}
const distinct = [...new Set(invalid)];
console.log(
  `REST description: ${valid} of ${valid + invalid.length} JSON responses valid, ${covered.size} operations covered` +
    (unknown.size ? `; not in the description: ${[...unknown].join(", ")}` : ""),
);
for (const line of defects) console.log(`  not checked, a defect of the description: ${line}`);
for (const line of distinct.slice(0, 40)) console.log(`  INVALID ${line}`);
if (distinct.length > 40) console.log(`  … and ${distinct.length - 40} more kinds`);
// Every webhook fakehub sent, against the official webhooks description
// (@octokit/openapi-webhooks, OpenAPI 3.1: JSON Schema 2020-12).
const ajv2020 = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv2020);
ajv2020.addSchema(webhooks, "webhooks");
const deliveries = await (await fetch(`${hub}/_fakehub/deliveries`)).json();
let hooksValid = 0;
const hooksInvalid = [];
const kinds = new Set();
for (const delivery of deliveries) {
  const payload = await (await fetch(`${hub}/_fakehub/deliveries/${delivery.id}`)).json();
  const name = ["webhook", delivery.event, payload.action].filter(Boolean).join("-").replaceAll("_", "-");
  kinds.add(name);
  const validate = webhooks.components.schemas[name] && ajv2020.getSchema(`webhooks#/components/schemas/${name}`);
  if (!validate) {
    hooksInvalid.push(`${name}: not in the description`);
  } else if (validate(payload)) {
    hooksValid += 1;
  } else {
    const why = validate.errors
      .slice(0, 6)
      .map((e) => `${e.instancePath || "/"} ${e.message}${e.params?.missingProperty ? ` (${e.params.missingProperty})` : ""}`)
      .join("; ");
    hooksInvalid.push(`${name}: ${why}`);
  }
}
console.log(`webhooks description: ${hooksValid} of ${deliveries.length} webhooks fakehub sent valid (${kinds.size} kinds)`);
for (const line of [...new Set(hooksInvalid)].slice(0, 30)) console.log(`  INVALID ${line}`);

process.exit(invalid.length === 0 && hooksInvalid.length === 0 ? 0 : 1);
