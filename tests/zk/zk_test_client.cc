#include "tests/zk/zk_test_client.h"

#include <cstdio>

#include <catch2/catch.hpp>

#include "absl/random/random.h"
#include "libs/zk/errors.h"

namespace dcos::testing {

const std::vector<std::string>& SessionTestFlags() {
  static const auto* flags = new std::vector<std::string>{"--zk.min_session_timeout=500ms",
                                                          "--zk.max_session_timeout=10s"};
  return *flags;
}

std::unique_ptr<zk::client::ZkClient> ConnectTestClient(const ZkTestEnsemble& e,
                                                        std::optional<absl::Duration> timeout,
                                                        zk::client::SessionListener listener) {
  zk::client::ZkClient::Options o;
  o.ensemble = e.addresses();
  o.seed = absl::Uniform<uint64_t>(absl::BitGen());
  std::printf("client seed %llu\n", static_cast<unsigned long long>(*o.seed));
  if (timeout) o.session = zk::client::ZkClient::Options::Session{*timeout, std::move(listener)};
  auto client = zk::client::ZkClient::Connect(o);
  INFO(client.status().ToString());
  REQUIRE(client.ok());
  return std::move(*client);
}

bool IsSessionExpired(const absl::Status& s) {
  return s.code() == absl::StatusCode::kFailedPrecondition &&
         zk::client::ErrorCodeOf(s) == zk::v1::ERROR_CODE_SESSION_EXPIRED;
}

}  // namespace dcos::testing
