// GitHub's published webhook payloads, sent to the real bot.
//
//   node payloads_check.mjs BOT_URL SECRET HUB_URL
//
// 1. Every payload of @octokit/webhooks-examples (pinned in package.json):
//    the bot must accept each (2xx): none refused, none a 5xx.
// 2. Variants the official webhook description allows
//    (@octokit/openapi-webhooks, pinned): for the events the bot reads,
//    each nullable property set to null and each optional one left out;
//    the bot must accept every one.
// 3. Retargeted: the `issues.labeled` examples pointed at fakehub's
//    acme/widgets issue #2 and its `bug` label (some with a deleted author):
//    the bot's write must land (the tracking issue's `* bug @bob` cc'd).
// Prints the figures; exits 1 on any disagreement.
import { createHmac, randomUUID } from "node:crypto";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples");
const description = require("@octokit/openapi-webhooks/generated/api.github.com.json");
const [botUrl, secret, hubUrl] = process.argv.slice(2);

async function send(event, payload) {
  const body = JSON.stringify(payload);
  const signature = "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
  const answer = await fetch(botUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": signature,
    },
    body,
  });
  return answer.status;
}

async function idle() {
  const base = new URL(botUrl);
  for (let i = 0; i < 600; i++) {
    const answer = await fetch(new URL("/idle", base));
    if (answer.status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the bot never became idle");
}

let failures = 0;
const fail = (what) => {
  failures += 1;
  console.error(`  FAIL ${what}`);
};

// 1. Every published example.
let sent = 0;
let accepted = 0;
const events = new Set();
for (const group of examples) {
  for (const payload of group.examples) {
    const status = await send(group.name, payload);
    sent += 1;
    events.add(group.name);
    if (status >= 200 && status < 300) accepted += 1;
    else fail(`${group.name}.${payload.action ?? ""} answered ${status}`);
  }
}
console.log(`payloads: ${accepted} of ${sent} published examples (${events.size} events) accepted`);

// 2. Variants GitHub's official webhook description allows, generated
//    from it: for the events the bot reads, in each example, every
//    property the description marks nullable set to null, and every one it
//    does not require left out, two levels deep (`issue.user`,
//    `pull_request.head`, `comment.user`, `sender`).
const resolve = (node) => {
  let at = node;
  for (let i = 0; at && at.$ref && i < 10; i++) {
    at = description.components.schemas[at.$ref.split("/").pop()];
  }
  return at ?? {};
};
const nullableType = (node) => {
  const n = resolve(node);
  const types = [].concat(n.type ?? []);
  return types.includes("null") || (n.anyOf ?? n.oneOf ?? []).some((alt) => resolve(alt).type === "null");
};
function* variantsOf(schemaNode, value, path, depth) {
  const node = resolve(schemaNode);
  if (!node.properties || typeof value !== "object" || value === null) return;
  const required = new Set(node.required ?? []);
  for (const [key, child] of Object.entries(node.properties)) {
    if (!(key in value) || value[key] === null) continue;
    if (nullableType(child)) yield [[...path, key], "null"];
    if (!required.has(key)) yield [[...path, key], "absent"];
    if (depth < 2) yield* variantsOf(child, value[key], [...path, key], depth + 1);
  }
}
const apply = (payload, path, how) => {
  const v = structuredClone(payload);
  let at = v;
  for (const key of path.slice(0, -1)) at = at[key];
  if (how === "null") at[path.at(-1)] = null;
  else delete at[path.at(-1)];
  return v;
};
let variants = 0;
let variantsAccepted = 0;
const variantEvents = ["issues", "pull_request", "issue_comment", "push"];
for (const group of examples.filter((g) => variantEvents.includes(g.name))) {
  for (const payload of group.examples) {
    const name = ["webhook", group.name, payload.action].filter(Boolean).join("-").replaceAll("_", "-");
    const schemaNode = description.components.schemas[name];
    if (!schemaNode) {
      fail(`no description of ${name}`);
      continue;
    }
    for (const [path, how] of variantsOf(schemaNode, payload, [], 0)) {
      const status = await send(group.name, apply(payload, path, how));
      variants += 1;
      if (status >= 200 && status < 300) variantsAccepted += 1;
      else fail(`${group.name}.${payload.action ?? ""} with ${path.join(".")} ${how} answered ${status}`);
      // Within the bot's queue: let it drain now and then.
      if (variants % 200 === 0) await idle();
    }
  }
}
console.log(`variants: ${variantsAccepted} of ${variants} the official description allows accepted`);
await idle();

// 3. Retargeted: the bot's writes land.
const labeled = examples.find((g) => g.name === "issues").examples.filter((p) => p.action === "labeled");
let retargeted = 0;
for (const [i, payload] of labeled.entries()) {
  const v = structuredClone(payload);
  v.repository.full_name = "acme/widgets";
  v.repository.name = "widgets";
  v.repository.owner.login = "acme";
  v.issue.number = 2;
  v.issue.labels = [{ name: "bug" }];
  v.label = { name: "bug" };
  if (i % 2 === 1) v.issue.user = null; // a deleted author
  delete v.installation;
  const status = await send("issues", v);
  if (status !== 202) fail(`retargeted issues.labeled answered ${status}`);
  retargeted += 1;
}
await idle();
const issue = await (await fetch(`${hubUrl}/_fakehub/repos/acme/widgets/issues/2`)).json();
if (!issue.body.includes("@bob")) fail(`issue #2 was not cc'd: ${JSON.stringify(issue.body)}`);
else console.log(`retargeted: ${retargeted} issues.labeled examples; the bot cc'd @bob on acme/widgets#2`);

process.exit(failures === 0 ? 0 : 1);
