#!/usr/bin/env bash
# Clients nobody here wrote, against fakehub: PyGithub, and Octokit with App
# auth, over every endpoint fakehub serves that they wrap; then the webhook
# payloads fakehub sent, against @octokit/webhooks-schemas; then GitHub's
# published webhook payloads (@octokit/webhooks-examples) and the variants
# its schema allows, sent to the real bot (`probot serve` against fakehub).
#
#   bash fakehub/conformance/run.sh
#
# Needs python3 (with pip) and node 20+ (with npm); installs the pinned
# clients from PyPI and npm into fakehub/conformance/.deps (once; about a
# minute), builds fakehub, starts it on a free port with seed.toml, runs
# both checks, and stops it. Exits non-zero when any check failed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
deps="$here/.deps"
mkdir -p "$deps"

if [ ! -f "$deps/py/.installed" ]; then
  python3 -m pip install --quiet --disable-pip-version-check --target "$deps/py" -r "$here/requirements.txt"
  touch "$deps/py/.installed"
fi
# A new pin in package.json installs again.
if [ -f "$deps/node/.installed" ] && ! cmp -s "$here/package.json" "$deps/node/package.json"; then
  rm -f "$deps/node/.installed"
fi
if [ ! -f "$deps/node/.installed" ]; then
  mkdir -p "$deps/node"
  cp "$here/package.json" "$deps/node/"
  (cd "$deps/node" && npm install --silent --no-audit --no-fund --loglevel=error)
  touch "$deps/node/.installed"
fi

# The binaries as the README's test command builds them (the same
# features, dev-dependencies' included), so after `.ci/run`'s tests this
# builds nothing; a plain `cargo build` would build the dependencies again
# with other features.
cargo test --quiet --workspace --all-features --no-run
target="${CARGO_TARGET_DIR:-$here/../../target}/debug"
bin="$target/fakehub"
log="$(mktemp)"
botlog="$(mktemp)"
"$bin" serve --seed "$here/seed.toml" --port 0 >"$log" 2>&1 &
pid=$!
botpid=""
trap 'kill $pid $botpid 2>/dev/null || true; rm -f "$log" "$botlog"' EXIT
url=""
for _ in $(seq 100); do
  url="$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1 || true)"
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "fakehub did not start:"; cat "$log"; exit 1; }
echo "fakehub at $url"

key="$here/../testdata/app-private-key.pem"
status=0
# Every JSON response from here on is kept, for the REST description.
curl -fs -X POST "$url/_fakehub/responses" >/dev/null
PYTHONPATH="$deps/py" python3 "$here/pygithub_check.py" "$url" "$key" || status=1
cp "$here/octokit_check.mjs" "$deps/node/"
node "$deps/node/octokit_check.mjs" "$url" "$key" || status=1

# The real bot, with a token (a repository webhook: `installation` is
# optional there), on a free port.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
secret="conformance-secret"
"$target/probot" serve --bind "127.0.0.1:$port" --webhook-secret "$secret" \
  --github-api-url "$url" --token ghp_alice --bot-login "probot-conformance" >"$botlog" 2>&1 &
botpid=$!
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
cp "$here/payloads_check.mjs" "$deps/node/"
node "$deps/node/payloads_check.mjs" "http://127.0.0.1:$port/webhook" "$secret" "$url" || status=1
if grep -q "panicked" "$botlog"; then
  echo "the bot panicked:"; grep -m5 "panicked" "$botlog"; status=1
fi
refused="$(grep -c "rejected a malformed delivery" "$botlog" || true)"
echo "bot log: $refused deliveries refused as malformed, no panic"
cp "$here/openapi_check.mjs" "$deps/node/"
node "$deps/node/openapi_check.mjs" "$url" || status=1
exit $status
