#pragma once

// Malformed packets, each with the fragment of the parser's error it must produce: the
// parser's tests check every one, and the fuzzer's seed corpus starts from them.

#include <string>
#include <vector>

#include "libs/dns/wire_test_util.h"

namespace dcos::dns::testing {

struct HostilePacket {
  std::string name;   // short, file-name safe: "pointer-loop"
  std::string what;   // what is wrong with it
  std::vector<uint8_t> bytes;
  std::string error;  // a fragment of ParseMessage's error message
};

std::vector<HostilePacket> HostilePackets();

// A query for the root name followed by `records` A records, each owned by a pointer to the
// previous record's owner (the first points at the question): the last owner takes `records`
// compression hops.
PacketBuilder PointerChain(int records);

}  // namespace dcos::dns::testing
