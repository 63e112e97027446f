#pragma once

// Reading the leader redirect of a dcos-zk member.
//
// A member that cannot serve a write (or a linearizable read) answers UNAVAILABLE with the
// message "not the leader: leader is member N at HOST:PORT" or "not the leader: no leader is
// known (election in progress); retry shortly". Newer members also attach a
// dcos.common.v1.LeaderInfo detail with the same facts; the detail wins when present.
//
// Either form means the member answered and refused: it did not propose the write. Any other
// UNAVAILABLE came from the transport (a connection that failed or broke).

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace dcos::zk::client {

// What a redirect says about the leader.
struct LeaderHint {
  // False: the member knows of no leader (an election is running).
  bool known = false;
  // The leader's Raft member id; set iff known.
  uint64_t member_id = 0;
  // The leader's client address, "host:port" (or "[v6]:port"); set iff known.
  std::string address;

  bool operator==(const LeaderHint&) const = default;
};

// Parses a redirect message. nullopt if `message` is not a redirect (does not contain "not the
// leader"). A redirect that names a leader in a form that does not parse (bad id, no port)
// yields known=false: the caller then tries another member rather than a garbage address.
std::optional<LeaderHint> ParseLeaderRedirect(absl::string_view message);

// The redirect carried by `status` (an UNAVAILABLE converted by FromGrpcStatus): from its
// LeaderInfo payload if present, else from its message. nullopt for any other status.
std::optional<LeaderHint> LeaderHintOf(const absl::Status& status);

// True if `address` looks like "host:port" with a port in 1..65535 ("[v6]:port" allowed).
bool IsHostPort(absl::string_view address);

}  // namespace dcos::zk::client
