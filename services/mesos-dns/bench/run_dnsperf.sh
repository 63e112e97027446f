#!/usr/bin/env bash
# dnsperf against dcos-dns serving a synthetic cluster on loopback.
#
#   services/mesos-dns/bench/run_dnsperf.sh [SECONDS] [TASKS] [extra dnsperf flags...]
#
# Builds //services/mesos-dns/bench:dns_bench_server with -c opt, starts it on 127.0.5.1:8053
# with the records of TASKS tasks (default 10000; 1000 agents, 10 instances per app), and runs
# dnsperf (Debian package dnsperf; `tools/dev setup` installs it) for SECONDS (default 20) with
# EDNS0 and 32 outstanding queries per client over every A and SRV name served plus 10% names
# that do not exist. Prints dnsperf's summary and the server's counters.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$ROOT"
SECONDS_TO_RUN=${1:-20}
TASKS=${2:-10000}
shift 2 || shift $# || true
command -v dnsperf >/dev/null || { echo "run_dnsperf: dnsperf missing (tools/dev setup)" >&2; exit 2; }

bazel build -c opt //services/mesos-dns/bench:dns_bench_server >&2
WORK=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
bazel-bin/services/mesos-dns/bench/dns_bench_server --tasks="$TASKS" --agents=1000 \
  --apps=$((TASKS / 10)) --ip=127.0.5.1 --port=8053 --udp_threads=2 \
  --queries="$WORK/queries.txt" 2>"$WORK/server.log" &
SERVER=$!
for _ in $(seq 1 300); do grep -q ready "$WORK/server.log" 2>/dev/null && break; sleep 0.1; done
cat "$WORK/server.log" >&2
dnsperf -s 127.0.5.1 -p 8053 -d "$WORK/queries.txt" -l "$SECONDS_TO_RUN" -c 4 -q 128 -e \
  "$@" | sed -n '/Statistics:/,$p'
kill -INT "$SERVER"
wait "$SERVER" || true
tail -1 "$WORK/server.log"
