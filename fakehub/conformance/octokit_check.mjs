// Octokit against fakehub: @octokit/rest with @octokit/auth-app (the App's
// JWT, then an installation token, as a bot written in JavaScript gets
// them), then every webhook payload fakehub sent while this and the
// PyGithub check ran, validated against @octokit/webhooks-schemas, the
// community's JSON schemas of GitHub's payloads.
//
// Usage: node octokit_check.mjs http://127.0.0.1:PORT path/to/app-private-key.pem

import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { Octokit } from "@octokit/rest";
import { createAppAuth } from "@octokit/auth-app";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import schema from "@octokit/webhooks-schemas" with { type: "json" };

const [base, keyPath] = process.argv.slice(2);
const privateKey = readFileSync(keyPath, "utf8");
const failures = [];
let checked = 0;

async function check(name, action) {
  try {
    const result = await action();
    checked += 1;
    return result;
  } catch (error) {
    failures.push(`${name}: ${error.status ?? ""} ${error.message}`);
    return undefined;
  }
}

function expect(condition, what) {
  if (!condition) throw new Error(`expected ${what}`);
}

// A webhook receiver, registered as a hook, so the payloads of what this
// script does arrive as GitHub would send them.
const received = [];
const server = createServer((request, response) => {
  let body = "";
  request.on("data", (chunk) => (body += chunk));
  request.on("end", () => {
    received.push({ event: request.headers["x-github-event"], payload: JSON.parse(body) });
    response.end("ok");
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const hookUrl = `http://127.0.0.1:${server.address().port}/hook`;
await fetch(`${base}/_fakehub/hooks`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ url: hookUrl, secret: "conformance" }),
});

const app = new Octokit({
  baseUrl: base,
  authStrategy: createAppAuth,
  auth: { appId: 42, privateKey },
});
const installations = await check("GET /app/installations", () => app.rest.apps.listInstallations());
const bot = new Octokit({
  baseUrl: base,
  authStrategy: createAppAuth,
  auth: { appId: 42, privateKey, installationId: installations?.data?.[0]?.id ?? 7 },
});
const owner = "acme";
const repo = "widgets";

await check("GET /repos/{o}/{r}", () => bot.rest.repos.get({ owner, repo }));
await check("GET /contents (raw)", async () => {
  const answer = await bot.rest.repos.getContent({
    owner, repo, path: ".github/probot.toml", mediaType: { format: "raw" },
  });
  expect(String(answer.data).startsWith("[cc]"), "the raw text");
});
await check("GET /contents (dir)", async () => {
  const answer = await bot.rest.repos.getContent({ owner, repo, path: "docs" });
  expect(Array.isArray(answer.data), "an array for a directory");
});
await check("GET /issues?labels=bug", async () => {
  const answer = await bot.rest.issues.listForRepo({ owner, repo, labels: "bug" });
  expect(answer.data.every((i) => i.labels.some((l) => l.name === "bug")), "only labelled issues");
});
await check("GET /issues?assignee= refused", async () => {
  try {
    await bot.rest.issues.listForRepo({ owner, repo, assignee: "alice" });
    throw new Error("an unimplemented filter was ignored");
  } catch (error) {
    expect(error.status === 422, `422, got ${error.status}`);
  }
});
await check("paginate /issues", () => bot.paginate(bot.rest.issues.listForRepo, { owner, repo, state: "all", per_page: 1 }));
await check("GET /issues/{n}", () => bot.rest.issues.get({ owner, repo, issue_number: 2 }));
await check("POST /issues/{n}/labels", () => bot.rest.issues.addLabels({ owner, repo, issue_number: 2, labels: ["high priority"] }));
await check("DELETE /issues/{n}/labels/{name}", () => bot.rest.issues.removeLabel({ owner, repo, issue_number: 2, name: "high priority" }));
await check("PATCH /issues/{n}", () => bot.rest.issues.update({ owner, repo, issue_number: 2, body: "Steps.\n\ncc @bob" }));
const comment = await check("POST /issues/{n}/comments", () => bot.rest.issues.createComment({ owner, repo, issue_number: 3, body: "Thanks!" }));
await check("POST /reactions", () => bot.rest.reactions.createForIssueComment({ owner, repo, comment_id: comment?.data?.id, content: "eyes" }));
await check("POST /issues/{n}/reactions", () => bot.rest.reactions.createForIssue({ owner, repo, issue_number: 2, content: "heart" }));
await check("POST /issues/{n}/assignees", async () => {
  const answer = await bot.rest.issues.addAssignees({ owner, repo, issue_number: 2, assignees: ["bob", "nobody-here"] });
  expect(answer.status === 201 && answer.data.assignees.map((a) => a.login).join() === "bob", "bob assigned, an unassignable login passed over");
  return answer;
});
await check("DELETE /issues/{n}/assignees", async () => {
  const answer = await bot.rest.issues.removeAssignees({ owner, repo, issue_number: 2, assignees: ["bob"] });
  expect(answer.data.assignees.length === 0, "nobody assigned");
  return answer;
});
await check("GET /labels/{name}", () => bot.rest.issues.getLabel({ owner, repo, name: "bug" }));
await check("POST /labels", () => bot.rest.issues.createLabel({ owner, repo, name: "from octokit", color: "aaaaaa" }));
await check("PATCH /labels/{name}", () => bot.rest.issues.updateLabel({ owner, repo, name: "from octokit", new_name: "from octokit, renamed", color: "bbbbbb" }));
await check("DELETE /labels/{name}", () => bot.rest.issues.deleteLabel({ owner, repo, name: "from octokit, renamed" }));
await check("POST /issues/{n}/labels on a pull request", () => bot.rest.issues.addLabels({ owner, repo, issue_number: 3, labels: ["module: docs"] }));
await check("PATCH /pulls/{n}", () => bot.rest.pulls.update({ owner, repo, pull_number: 3, body: "Fixes the docs.\n\ncc @alice" }));
await check("GET /pulls", () => bot.rest.pulls.list({ owner, repo }));
const pull = await check("GET /pulls/{n}", () => bot.rest.pulls.get({ owner, repo, pull_number: 3 }));
await check("POST /pulls/{n}/reviews", () => bot.rest.pulls.createReview({ owner, repo, pull_number: 3, event: "COMMENT", body: "Looks fine." }));
await check("GET /pulls/{n}/reviews", () => bot.rest.pulls.listReviews({ owner, repo, pull_number: 3 }));
await check("GET /pulls/{n}/files", () => bot.rest.pulls.listFiles({ owner, repo, pull_number: 3 }));
await check("POST /pulls/{n}/requested_reviewers", () => bot.rest.pulls.requestReviewers({ owner, repo, pull_number: 3, reviewers: ["alice"] }));
await check("GET /search/issues?q=review-requested:", async () => {
  const answer = await bot.rest.search.issuesAndPullRequests({ q: "repo:acme/widgets is:pr is:open review-requested:alice" });
  expect(answer.data.items.map((i) => i.number).join() === "3", "the pull request with alice's pending request");
  return answer;
});
await check("DELETE /pulls/{n}/requested_reviewers", () => bot.rest.pulls.removeRequestedReviewers({ owner, repo, pull_number: 3, reviewers: ["alice"] }));
await check("GET /issues/{n}/events (review requests)", async () => {
  const answer = await bot.rest.issues.listEvents({ owner, repo, issue_number: 3 });
  const asked = answer.data.filter((e) => e.event === "review_requested" || e.event === "review_request_removed");
  expect(asked.length >= 2 && asked.every((e) => e.requested_reviewer?.login && e.review_requester?.login), "who was asked, and by whom");
  return answer;
});
await check("GET /orgs/{o}/teams/{t}/members", async () => {
  const answer = await bot.rest.teams.listMembersInOrg({ org: owner, team_slug: "gpu" });
  expect(answer.data.map((u) => u.login).join() === "alice,bob", "the team's members");
  return answer;
});
await check("GET /search/issues?q=assignee:", async () => {
  await bot.rest.issues.addAssignees({ owner, repo, issue_number: 2, assignees: ["bob"] });
  const answer = await bot.rest.search.issuesAndPullRequests({ q: "repo:acme/widgets is:open assignee:bob" });
  await bot.rest.issues.removeAssignees({ owner, repo, issue_number: 2, assignees: ["bob"] });
  expect(answer.data.items.map((i) => i.number).join() === "2", "the issue assigned to bob");
  return answer;
});
await check("GET /pulls/{n}/commits", async () => {
  const answer = await bot.rest.pulls.listCommits({ owner, repo, pull_number: 3 });
  expect(answer.data.length === 1 && answer.data[0].sha === pull?.data?.head?.sha, "the head commit");
  return answer;
});
await check("GET /git/matching-refs", () => bot.rest.git.listMatchingRefs({ owner, repo, ref: "heads" }));
const sha = pull?.data?.head?.sha;
await check("POST /git/refs", () => bot.rest.git.createRef({ owner, repo, ref: "refs/tags/ciflow/trunk/3", sha }));
await check("DELETE /git/refs", () => bot.rest.git.deleteRef({ owner, repo, ref: "tags/ciflow/trunk/3" }));
await check("POST /check-runs", () => bot.rest.checks.create({ owner, repo, name: "conformance", head_sha: sha, status: "completed", conclusion: "success", output: { title: "ok", summary: "ok" } }));
await check("POST /dispatches", () => bot.rest.actions.createWorkflowDispatch({ owner, repo, workflow_id: "trunk.yml", ref: "main" }));
await check("GET /actions/runs", () => bot.rest.actions.listWorkflowRunsForRepo({ owner, repo }));
await check("GET /collaborators/{u}/permission", () => bot.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: "bob" }));
await check("GET /orgs/{o}/teams/{t}/memberships/{u}", async () => {
  const answer = await bot.rest.teams.getMembershipForUserInOrg({ org: owner, team_slug: "gpu", username: "bob" });
  if (answer.data.state !== "active") throw new Error(`state ${answer.data.state}`);
  return answer;
});
await check("GET /orgs/{o}/teams/{t}/memberships/{u} (not a member)", async () => {
  try {
    await bot.rest.teams.getMembershipForUserInOrg({ org: owner, team_slug: "gpu", username: "carol" });
  } catch (error) {
    if (error.status === 404) return;
    throw error;
  }
  throw new Error("expected 404");
});
await check("GET /search/issues", () => bot.rest.search.issuesAndPullRequests({ q: "repo:acme/widgets is:open" }));
await check("GET /rate_limit", () => bot.rest.rateLimit.get());
await check("GraphQL issue and addLabelsToLabelable", async () => {
  const read = await bot.graphql(
    `query($owner: String!, $name: String!, $number: Int!) {
       repository(owner: $owner, name: $name) { issue(number: $number) { id title labels(first: 10) { nodes { name } } } }
     }`,
    { owner, name: repo, number: 2 },
  );
  expect(read.repository.issue.title === "It crashes", "the issue's title");
  const label = await bot.rest.issues.getLabel({ owner, repo, name: "high priority" });
  const added = await bot.graphql(
    `mutation($id: ID!, $labels: [ID!]!) {
       addLabelsToLabelable(input: { labelableId: $id, labelIds: $labels }) { labelable { labels(first: 10) { nodes { name } } } }
     }`,
    { id: read.repository.issue.id, labels: [label.data.node_id] },
  );
  expect(added.addLabelsToLabelable.labelable.labels.nodes.some((l) => l.name === "high priority"), "the label added");
});

// GitHub added `user_view_type` to user objects in 2024; the community
// schemas predate it (and say no other property may appear), so it is the
// one field taken out before validating. Everything else must match.
function withoutNewerFields(value) {
  if (Array.isArray(value)) return value.map(withoutNewerFields);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== "user_view_type")
        .map(([key, inner]) => [key, withoutNewerFields(inner)]),
    );
  }
  return value;
}

// Every payload fakehub sent, against the schema of its event and action.
await fetch(`${base}/_fakehub/settle`, { method: "POST" });
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(schema, "webhooks");
const seen = new Map();
for (const { event, payload } of received) {
  const name = payload.action ? `${event}$${payload.action}` : `${event}$event`;
  const known = schema.definitions[name] ? name : null;
  if (!known) {
    failures.push(`webhook ${name}: no schema for it`);
    continue;
  }
  const validate = ajv.getSchema(`webhooks#/definitions/${known}`);
  const ok = validate(withoutNewerFields(payload));
  seen.set(name, (seen.get(name) ?? 0) + 1);
  if (!ok) {
    const errors = validate.errors
      .slice(0, 8)
      .map((e) => `${e.instancePath || "/"} ${e.message}${e.params?.missingProperty ? ` (${e.params.missingProperty})` : ""}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ""}`);
    failures.push(`webhook ${name} does not match its schema: ${errors.join("; ")}`);
  }
}
server.close();

const kinds = [...seen.entries()].map(([k, n]) => `${k} x${n}`).join(", ");
console.log(`Octokit: ${checked} calls answered as expected; ${received.length} webhooks validated (${kinds}); ${failures.length} failed`);
for (const failure of failures) console.log(`  FAILED ${failure}`);
process.exit(failures.length ? 1 : 0);
