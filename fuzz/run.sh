#!/usr/bin/env bash
# Fuzzes what outsiders control, for a bounded time per target, seeded with
# the repository's own examples, and prints executions and findings.
#
#   fuzz/run.sh            # 60 s a target
#   fuzz/run.sh 600 rules  # 10 minutes, one target
#
# Needs the nightly toolchain; installs cargo-fuzz when it is missing.
# Findings are kept in fuzz/artifacts/<target>/ (reproduce one with
# `cargo +nightly fuzz run <target> <file>`).
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
shift || true
if [ $# -gt 0 ]; then targets=("$@"); else targets=(rules tracking_issue cc_merge webhook); fi

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

# Seeds: the rules files, tracking issues and payloads the project keeps.
mkdir -p corpus/rules corpus/tracking_issue corpus/cc_merge corpus/webhook
cp ../.probot.toml.example corpus/rules/example.toml
for f in ../examples/*/probot.toml; do cp "$f" "corpus/rules/$(basename "$(dirname "$f")").toml"; done
for f in ../examples/*/*.md; do
  [ -f "$f" ] && cp "$f" "corpus/tracking_issue/$(basename "$(dirname "$f")")-$(basename "$f")" && cp "$f" "corpus/cc_merge/$(basename "$(dirname "$f")")-$(basename "$f")"
done
for f in ../tests/fixtures/github/webhooks/*.json; do
  # The first byte picks the event; 0 is `issues`.
  { printf '\x00'; cat "$f"; } > "corpus/webhook/$(basename "$f")"
done

status=0
for target in "${targets[@]}"; do
  echo "== $target, ${seconds}s"
  log="$(mktemp)"
  if cargo +nightly fuzz run "$target" "corpus/$target" -- \
      -max_total_time="$seconds" -max_len=262144 -rss_limit_mb=1024 -timeout=10 \
      -print_final_stats=1 >"$log" 2>&1; then
    result="no findings"
  else
    result="FINDING (see fuzz/artifacts/$target/)"
    status=1
  fi
  runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
  echo "   executions: ${runs:-?}   $result"
  [ "$result" = "no findings" ] || tail -n 30 "$log"
done
exit "$status"
