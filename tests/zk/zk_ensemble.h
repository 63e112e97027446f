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

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/testing/process.h"
#include "protos/zk/v1/ensemble.pb.h"

namespace dcos::testing {

// A channel to `address` (insecure), and a client context with a deadline `timeout` away.
std::shared_ptr<grpc::Channel> Channel(const std::string& address);
std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = absl::Seconds(5));

class ZkTestEnsemble {
 public:
  // Picks the ports; starts nothing. `extra_flags` go to every member (e.g. session bounds).
  explicit ZkTestEnsemble(std::vector<std::string> extra_flags = {});

  // Starts all three members and waits until each serves (health SERVING).
  absl::Status StartAll();
  // Starts (or restarts, with its data directory kept) member `id`. Members 1..3 found the
  // ensemble and are always given raft.peers = 1..3 (stale once the membership changed: a
  // restarted member must go by its own data directory); members from NewMember() start with
  // --raft.join and raft.peers = 1..3 plus themselves.
  absl::Status Start(int id);
  // A free address for one more member; returns its id (4, 5, ...). Starts nothing.
  int NewMember();
  // kill -9 of member `id`, waiting until it is reaped.
  absl::Status Kill(int id);
  bool Running(int id);
  // SIGTERM, then waits (up to 60 s) for the member to exit; returns how long that took.
  absl::StatusOr<absl::Duration> Terminate(int id);
  // The member's process id; 0 when it is not running.
  pid_t pid(int id) const {
    auto it = procs_.find(id);
    return it == procs_.end() || it->second == nullptr ? 0 : it->second->pid();
  }

  // Flags for member `id` alone, after `extra_flags`, from its next Start on (e.g.
  // --zk.restore_mode, or --raft.join for a founder's slot in an ensemble grown by AddMember).
  void SetMemberFlags(int id, std::vector<std::string> flags) {
    member_flags_[id] = std::move(flags);
  }

  // Member `from` reaches member `to` at `address` (e.g. a TcpProxy's) instead of its own
  // address: applies to `from`'s next Start. For partition tests.
  void SetPeerAddress(int from, int to, std::string address) {
    peer_overrides_[{from, to}] = std::move(address);
  }

  // "host:port" of member `id`.
  const std::string& address(int id) const { return addresses_[id - 1]; }
  const std::vector<std::string>& addresses() const { return addresses_; }
  // The member whose address is `address`; 0 if none.
  // (Members from NewMember() included.)
  int IdOf(const std::string& address) const;
  // "a,b,c" of the founders, as the CLI's --zk flag takes it.
  std::string Joined() const;
  const std::string& dir() const { return dir_; }
  // Ensemble.Status asked at member `id`.
  grpc::Status Status(int id, zk::v1::StatusResponse* out) const;

 private:
  std::string dir_;
  std::vector<std::string> extra_flags_;
  std::vector<std::string> addresses_;
  std::map<int, std::unique_ptr<TestProcess>> procs_;
  std::map<std::pair<int, int>, std::string> peer_overrides_;
  std::map<int, std::vector<std::string>> member_flags_;
  int starts_ = 0;
};

}  // namespace dcos::testing
