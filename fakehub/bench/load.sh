#!/usr/bin/env bash
# fakehub's throughput on loopback: GET an issue and POST labels, with wrk
# (Debian package `wrk`). Usage: fakehub/bench/load.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 2; }
cargo build -q --release -p fakehub
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
./target/release/fakehub serve --seed fakehub/bench/seed.toml --port "$port" > /dev/null &
pid=$!
trap 'kill $pid' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/rate_limit" -H 'Authorization: Bearer ghp_bench' >/dev/null && break; sleep 0.1; done
echo "== GET /repos/acme/widgets/issues/1"
wrk -t2 -c32 -d"${seconds}s" -H 'Authorization: Bearer ghp_bench' "http://127.0.0.1:$port/repos/acme/widgets/issues/1" | grep -E 'Requests/sec|Latency|requests in'
echo "== POST /repos/acme/widgets/issues/1/labels"
wrk -t2 -c32 -d"${seconds}s" -s fakehub/bench/add-label.lua "http://127.0.0.1:$port/repos/acme/widgets/issues/1/labels" | grep -E 'Requests/sec|Latency|requests in'
