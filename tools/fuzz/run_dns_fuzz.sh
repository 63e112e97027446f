#!/usr/bin/env bash
# Fuzzes the DNS message parser and writer (libs/dns/fuzz/message_fuzzer.cc) with libFuzzer.
#
#   tools/fuzz/run_dns_fuzz.sh [SECONDS] [extra libFuzzer flags...]     (default 60 s)
#
# Builds with clang -fsanitize=fuzzer,address,undefined (Debian: clang, libclang-rt-14-dev,
# pkg-config; `tools/dev fuzz` installs them) outside Bazel, into $DCOS_FUZZ_OUT (default
# ~/.cache/dcos-fuzz/dns). Starts from a copy of the checked-in seed corpus
# (libs/dns/testdata/corpus), so new inputs stay in $DCOS_FUZZ_OUT/corpus; crashes land in
# $DCOS_FUZZ_OUT/artifacts/. A crash reproducer worth keeping is copied into
# libs/dns/testdata/corpus, where //libs/dns/fuzz:corpus_replay_test replays it.
# One process by default; DCOS_FUZZ_FORK=N runs N in libFuzzer's fork mode.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SECONDS_TO_RUN=${1:-60}
shift || true

for tool in clang++ pkg-config; do
  if ! command -v "$tool" >/dev/null; then
    echo "run_dns_fuzz: $tool missing; run tools/dev fuzz (or apt-get install clang libclang-rt-14-dev pkg-config)" >&2
    exit 2
  fi
done

OUT="${DCOS_FUZZ_OUT:-${XDG_CACHE_HOME:-$HOME/.cache}/dcos-fuzz/dns}"
mkdir -p "$OUT/corpus" "$OUT/artifacts"
BIN="$OUT/dns_message_fuzzer"
SRCS=(libs/dns/label.cc libs/dns/message.cc libs/dns/name.cc libs/dns/parser.cc libs/dns/types.cc
      libs/dns/writer.cc libs/dns/fuzz/message_fuzzer.cc)
# Rebuild when a source is newer than the binary.
if [[ ! -x $BIN ]] || [[ -n $(find "${SRCS[@]}" libs/dns/*.h -newer "$BIN" 2>/dev/null) ]]; then
  echo "run_dns_fuzz: building $BIN" >&2
  # shellcheck disable=SC2046
  clang++ -std=c++20 -O1 -g -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$ROOT" "${SRCS[@]}" -o "$BIN" \
    $(pkg-config --libs absl_statusor absl_strings absl_str_format absl_flat_hash_map absl_hash)
fi

cp -n libs/dns/testdata/corpus/* "$OUT/corpus/" 2>/dev/null || true
FORK=()
[[ -n ${DCOS_FUZZ_FORK:-} ]] && FORK=(-fork="$DCOS_FUZZ_FORK")
echo "run_dns_fuzz: fuzzing for ${SECONDS_TO_RUN}s; corpus $OUT/corpus" >&2
rc=0
"$BIN" "$OUT/corpus" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -timeout=10 \
  -rss_limit_mb=2048 -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 "${FORK[@]}" "$@" \
  >"$OUT/last_run.log" 2>&1 || rc=$?
grep -E "INITED|DONE|ERROR|SUMMARY|stat::|Test unit written" "$OUT/last_run.log" | tail -20
echo "run_dns_fuzz: exit $rc; full log $OUT/last_run.log; corpus $(ls "$OUT/corpus" | wc -l) files;" \
  "artifacts: $(ls "$OUT/artifacts" | wc -l)" >&2
exit $rc
