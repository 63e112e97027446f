// libFuzzer entry point for the DNS parser and writer. Built two ways:
//   - with clang -fsanitize=fuzzer,address,undefined by tools/fuzz/run_dns_fuzz.sh, to fuzz;
//   - with the normal toolchain into //libs/dns/fuzz:corpus_replay_test, which feeds it every
//     file of libs/dns/testdata/corpus so that the seed corpus (and any crash found and added
//     there) is replayed by `bazel test`.
//
// Properties checked on every input (a violation aborts, which both harnesses report):
//   1. Parsing never reads out of bounds or crashes (the sanitizers watch this).
//   2. A message that parses re-encodes, and the encoding parses back. If nothing had to be
//      dropped to fit 65535 bytes (our compression can be worse than the input's: SRV targets
//      are written in full) it is equal to the first parse (names compared case-insensitively:
//      compression may take a suffix's spelling from an earlier name).
//   3. Encoding under a small limit (from the input's first byte) stays within it and parses.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "absl/types/span.h"
#include "libs/dns/parser.h"
#include "libs/dns/writer.h"

namespace {

[[noreturn]] void Violation(const char* what, const dcos::dns::Message& m) {
  std::fprintf(stderr, "message_fuzzer: %s\n%s\n", what, dcos::dns::MessageToText(m).c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dcos::dns;
  absl::Span<const uint8_t> packet(data, size);
  (void)ParseHeader(packet);
  absl::StatusOr<Message> m = ParseMessage(packet);
  if (!m.ok()) return 0;

  // 2. Full-size round trip.
  absl::StatusOr<std::vector<uint8_t>> wire = Encode(*m, WriterOptions{kMaxMessageSize, true});
  if (!wire.ok()) Violation("a parsed message does not encode", *m);
  absl::StatusOr<Message> back = ParseMessage(*wire);
  if (!back.ok()) Violation("an encoded message does not parse", *m);
  const bool complete = back->questions.size() == m->questions.size() &&
                        back->answers.size() == m->answers.size() &&
                        back->authority.size() == m->authority.size() &&
                        back->additional.size() == m->additional.size();
  if (complete) {
    Message expected = *m;
    expected.header.tc = false;  // Encode decides TC itself
    if (!(*back == expected)) Violation("round trip changed the message", *m);
  }

  // 3. A small limit.
  const size_t limit = size > 0 ? 512 + 16 * size_t{data[0]} : 512;
  wire = Encode(*m, WriterOptions{limit, true});
  if (!wire.ok()) Violation("a parsed message does not encode (small limit)", *m);
  if (wire->size() > limit) Violation("encoding over its limit", *m);
  if (!ParseMessage(*wire).ok()) Violation("a truncated encoding does not parse", *m);
  return 0;
}
