#include "services/agent/zk_master_detector.h"

#include <catch2/catch.hpp>

#include <vector>

namespace dcos::agent {
namespace {

common::v1::MasterInfo Master(const std::string& ip, uint32_t port) {
  common::v1::MasterInfo info;
  info.set_id(ip);
  info.mutable_address()->set_ip(ip);
  info.mutable_address()->set_port(port);
  return info;
}

TEST_CASE("ZkMasterDetector: dcos-zk's leader, a redirect tried once, changes announced") {
  ZkMasterDetector d;
  std::vector<std::string> changes;
  d.SetOnChange([&](const std::string& leader) { changes.push_back(leader); });
  CHECK(d.Leader().empty());  // nothing known yet: the link waits

  d.OnReport(Master("127.0.2.1", 5050));
  CHECK(d.Leader() == "127.0.2.1:5050");
  CHECK(d.Leader() == "127.0.2.1:5050");  // asking does not move on (unlike the static list)
  d.OnReport(Master("127.0.2.1", 5050));  // the same leader again: no news
  CHECK(changes == std::vector<std::string>{"127.0.2.1:5050"});

  d.Redirect("127.0.2.9:5050");
  CHECK(d.Leader() == "127.0.2.9:5050");
  CHECK(d.Leader() == "127.0.2.1:5050");

  d.Redirect("127.0.2.9:5050");
  d.OnReport(Master("127.0.2.2", 5050));  // newer than the redirect: it is dropped
  CHECK(d.Leader() == "127.0.2.2:5050");

  d.OnReport(std::nullopt);
  CHECK(d.Leader().empty());
  CHECK(changes == std::vector<std::string>{"127.0.2.1:5050", "127.0.2.2:5050", ""});

  d.SetOnChange(nullptr);
  d.OnReport(Master("127.0.2.3", 5050));
  CHECK(changes.size() == 3);
  CHECK(d.Leader() == "127.0.2.3:5050");
}

TEST_CASE("ZkMasterDetector: a MasterInfo without a usable address counts as no leader") {
  ZkMasterDetector d;
  common::v1::MasterInfo no_port = Master("127.0.2.1", 0);
  d.OnReport(no_port);
  CHECK(d.Leader().empty());
}

}  // namespace
}  // namespace dcos::agent
