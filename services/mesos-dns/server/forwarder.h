#pragma once

// The upstream side of names outside the domain: a Forwarder sends a client's query to the
// configured resolvers and reports their answer. Implementations: AresForwarder (c-ares);
// tests use fakes.

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"

namespace dcos::dns::server {

class Forwarder {
 public:
  // The upstream's response packet (any ID), or UNAVAILABLE/DEADLINE_EXCEEDED when every
  // resolver failed.
  using Done = std::function<void(absl::StatusOr<std::vector<uint8_t>>)>;

  virtual ~Forwarder() = default;

  // Sends `query` (a well-formed query packet with one question) upstream. Calls `done` exactly
  // once, on any thread, possibly before returning. Thread-safe.
  virtual void Forward(std::vector<uint8_t> query, Done done) = 0;
};

}  // namespace dcos::dns::server
