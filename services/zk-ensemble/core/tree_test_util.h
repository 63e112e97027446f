#pragma once

// Helpers for the tests of the zk core.

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/zk-ensemble/core/errors.h"
#include "services/zk-ensemble/core/tree.h"

namespace dcos::zk::testing {

// A fixed instant plus `ms` milliseconds: the "leader's clock" of test transactions.
inline absl::Time T(int64_t ms) { return absl::FromUnixMillis(int64_t{1767225600000} + ms); }

// Requires an OK status, printing it otherwise.
#define ZK_REQUIRE_OK(expr)                        \
  do {                                             \
    const ::absl::Status zk_status_ = (expr);      \
    INFO(zk_status_.ToString());                   \
    REQUIRE(zk_status_.ok());                      \
  } while (false)

// Requires a failed status with ZooKeeper code `code`.
#define ZK_REQUIRE_CODE(expr, code)                \
  do {                                             \
    const ::absl::Status zk_status_ = (expr);      \
    INFO(zk_status_.ToString());                   \
    REQUIRE(::dcos::zk::ZkCodeOf(zk_status_) == (code)); \
  } while (false)

// Creates a persistent node (or `mode`) and requires success; returns the created path.
inline std::string MustCreate(ZnodeTree& tree, const std::string& path, int64_t zxid,
                              const std::string& data = "",
                              CreateMode mode = CreateMode::kPersistent,
                              int64_t session = 0) {
  auto r = tree.Create(path, data, mode, session, zxid, T(zxid));
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return r->path;
}

inline Stat MustStat(const ZnodeTree& tree, const std::string& path) {
  auto r = tree.Exists(path);
  INFO(path << ": " << r.status().ToString());
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  return **r;
}

}  // namespace dcos::zk::testing
