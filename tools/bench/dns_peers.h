#pragma once

// The peers dcos-dns is measured against, run by hand on loopback: BIND 9 (Debian `bind9`) and
// NSD (Debian `nsd`), each serving one zone file from a directory of its own, in the
// foreground, on a high port, with its own config file — never as system services. Run as
// root, each drops to `nobody` before it starts (setpriv), so the peers run unprivileged.
// NSD runs with response rate limiting off, BIND without recursion (it has no RRL unless
// configured).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tools/bench/bench_process.h"

namespace dcos::bench {

struct PeerOptions {
  // Config, zone file and state go here; made nobody's, and its parent traversable by others.
  std::string dir;
  std::string zone;       // e.g. "mesos"
  std::string zone_text;  // the master file
  std::string ip = "127.0.0.1";
  int port = 0;
  int threads = 2;        // BIND worker threads, NSD server processes
};

// Starts `named -g` or `nsd -d`; FAILED_PRECONDITION if the binary is missing (install the
// Debian package). Waiting until it answers is the caller's business.
absl::StatusOr<std::unique_ptr<ChildProcess>> StartBind(const PeerOptions& options);
absl::StatusOr<std::unique_ptr<ChildProcess>> StartNsd(const PeerOptions& options);

}  // namespace dcos::bench
