#pragma once

// ZkClients for multi-process tests of libs/zk against a ZkTestEnsemble.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/zk/client.h"
#include "tests/zk/zk_ensemble.h"

namespace dcos::testing {

// Server flags for session tests: timeouts from 500 ms (the default minimum is 4 s).
const std::vector<std::string>& SessionTestFlags();

// Connects to `e`, with a session of `timeout` if set (and `listener`, which may be empty).
// The first member is random; its seed is printed. Fails the test if it cannot connect.
std::unique_ptr<zk::client::ZkClient> ConnectTestClient(
    const ZkTestEnsemble& e, std::optional<absl::Duration> timeout,
    zk::client::SessionListener listener = nullptr);

// FAILED_PRECONDITION with the SESSION_EXPIRED code.
bool IsSessionExpired(const absl::Status& s);

}  // namespace dcos::testing
