#pragma once

// Fetch: brings a task's URIs into its sandbox before the command starts (Mesos's fetcher),
// in order: a local path or file:// is copied, http:// is downloaded (http_get.h), https:// is
// refused as unsupported; then `executable` sets the mode to 0755 and `extract` (default
// true) unpacks a recognised archive into the sandbox (archive.h). Every file is written to a
// temporary name and renamed into place, so a failure leaves no half file under the name.
//
// Runs in the dcos-fetcher process (fetcher_main.cc), which the task's supervisor starts
// before the task and waits for; progress goes to `log` (the sandbox's stderr).

#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "protos/common/v1/command.pb.h"
#include "services/agent/fetcher/http_get.h"

namespace dcos::agent::fetcher {

// Limits of one task's fetch (agent.fetch_*).
struct FetchOptions {
  // The whole fetch; past it the fetcher stops and the task fails.
  absl::Duration timeout = absl::Minutes(5);
  HttpLimits http;
};

// Fetches one URI into `sandbox`. The error names the URI and the cause:
// "fetching 'http://h/x.tgz': HTTP 404 Not Found".
absl::Status FetchUri(const common::v1::CommandURI& uri, const std::string& sandbox,
                      const FetchOptions& options, FILE* log);

// The supervisor arguments that make it run `fetcher_path` with these URIs and limits
// (--fetcher=PATH, --fetch=ARG...; the args are dcos-fetcher's, see fetcher_main.cc).
std::vector<std::string> SupervisorFetchArgs(
    const std::string& fetcher_path,
    const google::protobuf::RepeatedPtrField<common::v1::CommandURI>& uris,
    const FetchOptions& options);

// dcos-fetcher's arguments back: the URIs and limits. INVALID_ARGUMENT naming the argument.
absl::Status ParseFetcherArgs(const std::vector<std::string>& args,
                              std::vector<common::v1::CommandURI>* uris, FetchOptions* options);

}  // namespace dcos::agent::fetcher
