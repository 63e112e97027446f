#!/usr/bin/env bash
# dcos-dns side by side with BIND 9 and NSD under dnsperf (see dns_bench.cc).
#
#   tools/bench/run_dns_bench.sh [dns_bench flags, e.g. --seconds=20 --rounds=3]
#
# Installs the peers (Debian bind9 and nsd) and dnsperf if missing, through tools/dev's package
# step (idempotent; a policy-rc.d keeps their system services from starting), builds dcos-dns
# and the benchmark with -c opt, and runs it. The peers run as unprivileged processes on
# loopback high ports from a temp dir, never as system services.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
tools/dev setup bind9 nsd dnsperf
bazel build -c opt //tools/bench:dns_bench //services/mesos-dns:dcos-dns >&2
exec bazel-bin/tools/bench/dns_bench --dcos_dns=bazel-bin/services/mesos-dns/dcos-dns "$@"
