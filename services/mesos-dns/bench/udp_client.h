#pragma once

// A minimal DNS-over-UDP client for dcos-dns's tests and benchmarks: one query, one answer,
// from the calling thread. Test-only.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/dns/message.h"

namespace dcos::dns::bench {

// Sends `packet` to `ip`:`port` (IPv4) over UDP; the response bytes, nullopt if none came
// within `timeout`. Errors: INVALID_ARGUMENT for a bad address, INTERNAL for socket errors.
absl::StatusOr<std::optional<std::vector<uint8_t>>> UdpExchange(
    const std::string& ip, int port, const std::vector<uint8_t>& packet, absl::Duration timeout);

// A query of `name`/`type` (RD, EDNS0 with 1232 bytes, a random ID), parsed; nullopt if no
// answer came. Errors: a name that is not a name, an answer that does not parse or has another
// ID, UdpExchange's.
absl::StatusOr<std::optional<Message>> UdpQuery(const std::string& ip, int port,
                                                const std::string& name, RRType type,
                                                absl::Duration timeout);

}  // namespace dcos::dns::bench
