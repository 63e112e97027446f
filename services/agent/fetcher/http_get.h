#pragma once

// HttpGet: one HTTP/1.1 GET written to a file descriptor, for the fetcher. A small blocking
// client on a socket with poll(): every wait (connect, each read and write) is bounded by
// `stall_timeout`, the body by `max_bytes`; Content-Length, chunked and close-delimited bodies;
// redirects (301, 302, 303, 307, 308) followed up to 5 times to http:// locations. No TLS.
//
// Thread-compatible; blocking: run it in the fetcher process, never on an agent loop.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/agent/fetcher/uri.h"

namespace dcos::agent::fetcher {

struct HttpLimits {
  absl::Duration stall_timeout = absl::Seconds(60);
  uint64_t max_bytes = uint64_t{4} << 30;
};

// GETs `url` (scheme kHttp) and writes the body to `out_fd`; the byte count in *written.
// Errors (all for the task's message): UNAVAILABLE "cannot connect to H:P: ..." / "no address
// for H" / "connection closed before the response ended"; DEADLINE_EXCEEDED "no data for 60s";
// NOT_FOUND / FAILED_PRECONDITION "HTTP 404 Not Found" for a status other than 2xx;
// RESOURCE_EXHAUSTED "larger than N bytes"; DATA_LOSS for a malformed response;
// UNIMPLEMENTED for a redirect to https.
absl::Status HttpGet(const ParsedUri& url, const HttpLimits& limits, int out_fd,
                     uint64_t* written);

}  // namespace dcos::agent::fetcher
