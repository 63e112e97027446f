#pragma once

// ZkTestEnsemble: three real dcos-zk processes on free loopback ports, for multi-process tests
// of clients (libs/zk, the dcos CLI). The test must list //services/zk-ensemble:dcos-zk in its
// `data`. Every process is killed and reaped when the ensemble is destroyed (TestProcess).
//
// Thread-compatible: drive it from the test's main thread.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "libs/testing/process.h"

namespace dcos::testing {

class ZkTestEnsemble {
 public:
  // Picks the ports; starts nothing. `extra_flags` go to every member (e.g. session bounds).
  explicit ZkTestEnsemble(std::vector<std::string> extra_flags = {});

  // Starts all three members and waits until each serves (health SERVING).
  absl::Status StartAll();
  // Starts (or restarts, with its data directory kept) member `id` (1..3).
  absl::Status Start(int id);
  // kill -9 of member `id`, waiting until it is reaped.
  absl::Status Kill(int id);
  bool Running(int id);

  // Member `from` reaches member `to` at `address` (e.g. a TcpProxy's) instead of its own
  // address: applies to `from`'s next Start. For partition tests.
  void SetPeerAddress(int from, int to, std::string address) {
    peer_overrides_[{from, to}] = std::move(address);
  }

  // "host:port" of member `id`.
  const std::string& address(int id) const { return addresses_[id - 1]; }
  const std::vector<std::string>& addresses() const { return addresses_; }
  // The member whose address is `address`; 0 if none.
  int IdOf(const std::string& address) const;
  // "a,b,c", as the CLI's --zk flag takes it.
  std::string Joined() const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::vector<std::string> extra_flags_;
  std::vector<std::string> addresses_;
  std::map<int, std::unique_ptr<TestProcess>> procs_;
  std::map<std::pair<int, int>, std::string> peer_overrides_;
  int starts_ = 0;
};

}  // namespace dcos::testing
