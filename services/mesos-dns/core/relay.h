#pragma once

// Relaying an upstream resolver's answer to a forwarded query back to the client: pure, so
// that the server and the forwarder share one tested rule.
//
// The response gets the client's query ID back (an upstream client library picks its own),
// must answer the client's question (else SERVFAIL: a confused or spoofing upstream), and must
// fit the client's transport: UDP answers over the client's limit (512, or its EDNS0 size
// capped at max_udp_payload) are re-encoded truncated by whole RRsets with TC set, so the client
// retries over TCP. When the upstream failed (every resolver timed out or refused), or its
// answer cannot be parsed, the client gets SERVFAIL.

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "services/mesos-dns/core/responder.h"

namespace dcos::dns::core {

// `query`: the client's packet (already answered kForward by the Responder, so well-formed with
// one question). `upstream`: the upstream's response packet, or why there is none. Writes the
// packet to send into `out` (left empty when `query` has no readable header: send nothing);
// returns its RCODE.
Rcode RelayUpstreamAnswer(absl::Span<const uint8_t> query,
                          const absl::StatusOr<std::vector<uint8_t>>& upstream,
                          Transport transport, const ResponderOptions& options,
                          std::vector<uint8_t>* out);

}  // namespace dcos::dns::core
