#!/usr/bin/env bash
# Regenerates the fake GitHub's reference test data from GitHub's official descriptions
# on npm, so that the tests themselves need no network:
#
#   internal/github/githubtest/testdata/openapi.json   from @octokit/openapi
#       (generated/api.github.com.json): the operations the fake serves, each with its
#       documentation URL, response schemas and documented response headers, and every
#       component schema they reach.
#   internal/github/githubtest/testdata/webhooks.json  from @octokit/openapi-webhooks
#       (generated/api.github.com.json): the payload schemas of the events Shepherd's
#       workflows run on (push; pull_request opened, synchronize, reopened, labeled,
#       unlabeled; issue_comment created; issues labeled, closed).
#
# The operations are the "METHOD /path" keys of the fake's endpoint table
# (internal/github/githubtest/permissions.go). Annotations (descriptions, examples,
# titles) are dropped; every "$ref" left points into the file's own "schemas".
# Run it after changing the pinned versions or the fake's routes.
set -euo pipefail

OPENAPI_VERSION=23.0.2
WEBHOOKS_VERSION=12.1.0

root="$(cd "$(dirname "$0")/.." && pwd)"
testdata="$root/internal/github/githubtest/testdata"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "@octokit/openapi@$OPENAPI_VERSION" "@octokit/openapi-webhooks@$WEBHOOKS_VERSION" >/dev/null)
mkdir -p "$tmp/openapi" "$tmp/webhooks"
tar -xzf "$tmp/octokit-openapi-$OPENAPI_VERSION.tgz" -C "$tmp/openapi"
tar -xzf "$tmp/octokit-openapi-webhooks-$WEBHOOKS_VERSION.tgz" -C "$tmp/webhooks"

# The fake's operations, with its "{name...}" wildcards written as GitHub's "{name}".
grep -oE '^\s*"(GET|POST|PUT|PATCH|DELETE) /[^"]*"' "$root/internal/github/githubtest/permissions.go" |
  tr -d '"' | sed -e 's/^[[:space:]]*//' -e 's/\.\.\.}/}/' >"$tmp/operations.txt"

mkdir -p "$testdata"
node - "$tmp" "$testdata" "$OPENAPI_VERSION" "$WEBHOOKS_VERSION" <<'EOF'
const fs = require("fs");
const [tmp, testdata, openapiVersion, webhooksVersion] = process.argv.slice(2);
const read = (p) => JSON.parse(fs.readFileSync(p, "utf8"));

// Keywords that only annotate: dropped to keep the files small.
const annotations = new Set(["description", "example", "examples", "title", "readOnly", "deprecated",
  "default", "externalDocs", "x-github-breaking-changes", "x-github", "$comment", "summary"]);

// strip copies a schema without annotations, collecting the component schemas it names.
function strip(node, refs) {
  if (Array.isArray(node)) return node.map((n) => strip(n, refs));
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "properties") {
      out.properties = {};
      for (const [name, prop] of Object.entries(value)) out.properties[name] = strip(prop, refs);
    } else if (key === "enum" || key === "required") {
      out[key] = value;
    } else if (!annotations.has(key)) {
      if (key === "$ref") refs.push(value);
      out[key] = strip(value, refs);
    }
  }
  return out;
}

// closure strips every component schema reachable from refs into schemas.
function closure(doc, refs, schemas) {
  while (refs.length > 0) {
    const ref = refs.pop();
    const name = ref.replace("#/components/schemas/", "");
    if (name === ref) throw new Error(`unexpected $ref ${ref}`);
    if (schemas[name]) continue;
    const schema = doc.components.schemas[name];
    if (!schema) throw new Error(`no schema ${name}`);
    schemas[name] = strip(schema, refs);
  }
}

function sorted(obj) {
  return Object.fromEntries(Object.keys(obj).sort().map((k) => [k, obj[k]]));
}

// The REST operations.
const api = read(`${tmp}/openapi/package/generated/api.github.com.json`);
const operations = {};
const schemas = {};
const refs = [];
for (const line of fs.readFileSync(`${tmp}/operations.txt`, "utf8").trim().split("\n")) {
  const [method, path] = line.split(" ");
  const op = (api.paths[path] || {})[method.toLowerCase()];
  if (!op) throw new Error(`${line}: no such operation in @octokit/openapi ${openapiVersion}`);
  const responses = {};
  for (const [status, response] of Object.entries(op.responses)) {
    let r = response;
    if (r.$ref) r = api.components.responses[r.$ref.replace("#/components/responses/", "")];
    const json = (r.content || {})["application/json"];
    responses[status] = json && json.schema ? { schema: strip(json.schema, refs) } : {};
    if (r.headers) responses[status].headers = Object.keys(r.headers).sort();
  }
  operations[line] = { operationId: op.operationId, docs: op.externalDocs.url, responses };
}
// Errors any operation may answer are checked against these too.
refs.push("#/components/schemas/basic-error", "#/components/schemas/validation-error");
closure(api, refs, schemas);
fs.writeFileSync(`${testdata}/openapi.json`, JSON.stringify({
  source: `npm @octokit/openapi@${openapiVersion}, generated/api.github.com.json (OpenAPI ${api.openapi}, ` +
    `GitHub REST API ${api.info.version}); regenerate with scripts/github-openapi.sh`,
  operations: sorted(operations),
  schemas: sorted(schemas),
}, null, 1) + "\n");

// The event payloads.
const hooks = read(`${tmp}/webhooks/package/generated/api.github.com.json`);
const events = {};
const hookSchemas = {};
const hookRefs = [];
for (const name of ["push", "pull-request-opened", "pull-request-synchronize", "pull-request-reopened",
  "pull-request-labeled", "pull-request-unlabeled", "issue-comment-created", "issues-labeled", "issues-closed"]) {
  const post = hooks.webhooks[name].post;
  events[name] = { docs: post.externalDocs.url, schema: strip(post.requestBody.content["application/json"].schema, hookRefs) };
}
closure(hooks, hookRefs, hookSchemas);
fs.writeFileSync(`${testdata}/webhooks.json`, JSON.stringify({
  source: `npm @octokit/openapi-webhooks@${webhooksVersion}, generated/api.github.com.json (OpenAPI ${hooks.openapi}); ` +
    `regenerate with scripts/github-openapi.sh`,
  events,
  schemas: sorted(hookSchemas),
}, null, 1) + "\n");
EOF
ls -l "$testdata"
