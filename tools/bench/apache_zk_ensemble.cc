#include "tools/bench/apache_zk_ensemble.h"

#include <unistd.h>
#include <zookeeper/zookeeper.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "tools/bench/bench_process.h"

namespace dcos::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kMembers = 3;
constexpr int kSessionTimeoutMs = 10000;

void IgnoreEvents(zhandle_t*, int, int, const char*, void*) {}

// A C client handle connected to `hosts` ("127.0.0.1:p1,..."), or an error after `timeout`.
absl::StatusOr<zhandle_t*> ConnectHandle(const std::string& hosts, absl::Duration timeout) {
  zhandle_t* zh = zookeeper_init(hosts.c_str(), IgnoreEvents, kSessionTimeoutMs, nullptr,
                                 nullptr, 0);
  if (zh == nullptr) return absl::InternalError("zookeeper_init failed for " + hosts);
  absl::Time deadline = absl::Now() + timeout;
  while (zoo_state(zh) != ZOO_CONNECTED_STATE) {
    if (absl::Now() > deadline || g_stop_requested.load()) {
      zookeeper_close(zh);
      return absl::DeadlineExceededError("no ZooKeeper session with " + hosts);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return zh;
}

// The first failure since it was last taken (shared by every handle of the process).
absl::Mutex g_error_mu;
std::string g_first_error ABSL_GUARDED_BY(g_error_mu);

// The callbacks of the async API: `data` is a heap-allocated Pending.
struct Pending {
  ZkDriver::Done done;
  std::string what;  // op and path, for the error message
};
void Complete(int rc, const void* data) {
  auto* p = static_cast<Pending*>(const_cast<void*>(data));
  if (rc != ZOK) {
    absl::MutexLock lock(&g_error_mu);
    if (g_first_error.empty()) g_first_error = absl::StrCat(p->what, ": ", zerror(rc));
  }
  ZkDriver::Done done = std::move(p->done);
  delete p;
  done(rc == ZOK);
}
void StatDone(int rc, const Stat*, const void* data) { Complete(rc, data); }
void DataDone(int rc, const char*, int, const Stat*, const void* data) { Complete(rc, data); }
void StringDone(int rc, const char*, const void* data) { Complete(rc, data); }
void VoidDone(int rc, const void* data) { Complete(rc, data); }

// One zhandle per connection, each connected to a single member (connection c to member
// c % 3). The C client runs an I/O thread and a completion thread per handle; callbacks run
// on the completion thread. Thread-safe.
class ApacheZkDriver final : public ZkDriver {
 public:
  explicit ApacheZkDriver(std::vector<zhandle_t*> handles) : handles_(std::move(handles)) {}
  ~ApacheZkDriver() override {
    for (zhandle_t* zh : handles_) zookeeper_close(zh);
  }

  int connections() const override { return static_cast<int>(handles_.size()); }

  std::string TakeFirstError() override {
    absl::MutexLock lock(&g_error_mu);
    return std::exchange(g_first_error, "");
  }

  void Issue(int conn, ZkOp op, const std::string& path, const std::string* data,
             Done done) override {
    zhandle_t* zh = handles_[static_cast<size_t>(conn)];
    static constexpr const char* kNames[] = {"set", "get", "create", "delete"};
    auto* p = new Pending{std::move(done), absl::StrCat(kNames[static_cast<int>(op)], " ", path)};
    int rc = ZOK;
    switch (op) {
      case ZkOp::kSet:
        rc = zoo_aset(zh, path.c_str(), data->data(), static_cast<int>(data->size()), -1,
                      StatDone, p);
        break;
      case ZkOp::kGet:
        rc = zoo_aget(zh, path.c_str(), 0, DataDone, p);
        break;
      case ZkOp::kCreate:
        rc = zoo_acreate(zh, path.c_str(), data->data(), static_cast<int>(data->size()),
                         &ZOO_OPEN_ACL_UNSAFE, 0, StringDone, p);
        break;
      case ZkOp::kDelete:
        rc = zoo_adelete(zh, path.c_str(), -1, VoidDone, p);
        break;
    }
    if (rc != ZOK) Complete(rc, p);  // not queued: the callback will not run
  }

 private:
  std::vector<zhandle_t*> handles_;
};

class ApacheZkEnsemble final : public ZkEnsemble {
 public:
  explicit ApacheZkEnsemble(ApacheZkOptions options) : options_(std::move(options)) {
    for (int i = 0; i < kMembers; ++i) {
      client_ports_.push_back(FreePort());
      peer_ports_.push_back(FreePort());
      election_ports_.push_back(FreePort());
    }
  }

  ~ApacheZkEnsemble() override {
    for (auto& m : members_) {
      if (m != nullptr) m->Stop(absl::Seconds(5));
    }
    if (client_log_ != nullptr) {
      zoo_set_log_stream(stderr);
      std::fclose(client_log_);
    }
  }

  std::string name() const override { return "ZooKeeper"; }

  absl::Status Start() {
    // The C client logs every connection loss; keep that in a file next to the servers' logs.
    client_log_ = std::fopen((options_.dir + "/c-client.log").c_str(), "a");
    if (client_log_ != nullptr) zoo_set_log_stream(client_log_);
    zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);
    std::vector<std::string> servers;
    for (int i = 0; i < kMembers; ++i) {
      servers.push_back(absl::StrCat("server.", i + 1, "=127.0.0.1:", peer_ports_[i], ":",
                                     election_ports_[i]));
    }
    for (int i = 0; i < kMembers; ++i) {
      std::string home = absl::StrCat(options_.dir, "/zk-", i + 1);
      std::error_code ec;
      std::filesystem::create_directories(home + "/data", ec);
      std::filesystem::create_directories(home + "/log", ec);
      if (ec) return absl::InternalError("mkdir " + home + ": " + ec.message());
      absl::Status s = WriteFile(home + "/data/myid", absl::StrCat(i + 1, "\n"));
      if (!s.ok()) return s;
      std::string cfg = absl::StrCat(
          "tickTime=2000\ninitLimit=10\nsyncLimit=5\n",  //
          "dataDir=", home, "/data\n",                    //
          "dataLogDir=", home, "/log\n",                  //
          "clientPort=", client_ports_[i], "\n",          //
          "clientPortAddress=127.0.0.1\n",                //
          "forceSync=yes\n",                              //
          "admin.enableServer=false\n",                   //
          "4lw.commands.whitelist=srvr\n",                //
          "maxClientCnxns=0\n",                           //
          absl::StrJoin(servers, "\n"), "\n");
      s = WriteFile(home + "/zoo.cfg", cfg);
      if (!s.ok()) return s;
      auto p = ChildProcess::Start({absl::StrCat("zookeeper-", i + 1),
                                    options_.java,
                                    {"-Xmx" + options_.heap, "-cp", options_.classpath,
                                     "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                                     home + "/zoo.cfg"},
                                    options_.dir});
      if (!p.ok()) return p.status();
      members_.push_back(std::move(*p));
    }
    absl::Time deadline = absl::Now() + absl::Seconds(90);
    while (absl::Now() < deadline && !g_stop_requested.load()) {
      for (auto& m : members_) {
        if (!m->Running()) {
          return absl::InternalError(absl::StrCat(m->name(), " exited at start; its log:\n",
                                                  m->LogTail(3000)));
        }
      }
      int leaders = 0, followers = 0;
      for (int i = 0; i < kMembers; ++i) {
        std::string mode = Mode(i);
        leaders += mode == "leader";
        followers += mode == "follower";
      }
      if (leaders == 1 && followers == 2) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    absl::StatusOr<zhandle_t*> zh = ConnectHandle(AllHosts(), absl::Seconds(30));
    if (!zh.ok()) return zh.status();
    int rc = zoo_create(*zh, "/zk-bench-ready", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
    zookeeper_close(*zh);
    if (rc != ZOK && rc != ZNODEEXISTS) {
      return absl::UnavailableError(absl::StrCat("ZooKeeper refused the first write: ",
                                                 zerror(rc)));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<ZkDriver>> Connect(int connections) override {
    std::vector<zhandle_t*> handles;
    for (int c = 0; c < connections; ++c) {
      absl::StatusOr<zhandle_t*> zh =
          ConnectHandle(absl::StrCat("127.0.0.1:", client_ports_[c % kMembers]), absl::Seconds(30));
      if (!zh.ok()) {
        for (zhandle_t* h : handles) zookeeper_close(h);
        return zh.status();
      }
      handles.push_back(*zh);
    }
    return std::unique_ptr<ZkDriver>(new ApacheZkDriver(std::move(handles)));
  }

  std::vector<pid_t> pids() override {
    std::vector<pid_t> out;
    for (auto& m : members_) out.push_back(m->pid());
    return out;
  }

  // A client connected to all three members (as a real client is) writes again after the
  // kill; the C client moves to another member by itself.
  absl::StatusOr<absl::Duration> KillLeaderAndTimeFirstWrite() override {
    absl::StatusOr<zhandle_t*> zh = ConnectHandle(AllHosts(), absl::Seconds(30));
    if (!zh.ok()) return zh.status();
    int leader = -1;
    for (int i = 0; i < kMembers; ++i) {
      if (Mode(i) == "leader") leader = i;
    }
    if (leader < 0) {
      zookeeper_close(*zh);
      return absl::UnavailableError("no ZooKeeper member reports itself leader (srvr)");
    }
    auto killed = SteadyClock::now();
    members_[static_cast<size_t>(leader)]->Kill();
    absl::Time deadline = absl::Now() + absl::Seconds(60);
    absl::StatusOr<absl::Duration> result =
        absl::DeadlineExceededError("no write succeeded within 60 s of killing the leader");
    while (absl::Now() < deadline && !g_stop_requested.load()) {
      int rc = zoo_create(*zh, "/failover-after", "x", 1, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
      if (rc == ZOK || rc == ZNODEEXISTS) {
        result = absl::FromChrono(SteadyClock::now() - killed);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    zookeeper_close(*zh);
    return result;
  }

 private:
  std::string AllHosts() const {
    std::vector<std::string> hosts;
    for (int port : client_ports_) hosts.push_back(absl::StrCat("127.0.0.1:", port));
    return absl::StrJoin(hosts, ",");
  }

  // "leader", "follower", ... from member i's `srvr`; "" if it does not answer.
  std::string Mode(int i) {
    if (!members_[static_cast<size_t>(i)]->Running()) return "";
    absl::StatusOr<std::string> answer =
        TcpAsk(client_ports_[static_cast<size_t>(i)], "srvr", absl::Seconds(2));
    if (!answer.ok()) return "";
    for (absl::string_view mode : {"leader", "follower", "standalone", "observer"}) {
      if (absl::StrContains(*answer, absl::StrCat("Mode: ", mode))) return std::string(mode);
    }
    return "";
  }

  ApacheZkOptions options_;
  std::vector<int> client_ports_, peer_ports_, election_ports_;
  std::vector<std::unique_ptr<ChildProcess>> members_;
  FILE* client_log_ = nullptr;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ZkEnsemble>> StartApacheZk(const ApacheZkOptions& options) {
  if (access(options.java.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(options.java + " is missing: apt-get install default-jre-headless");
  }
  if (access(options.classpath.c_str(), R_OK) != 0) {
    return absl::FailedPreconditionError(options.classpath +
                                         " is missing: apt-get install zookeeper (tools/dev setup)");
  }
  auto ensemble = std::make_unique<ApacheZkEnsemble>(options);
  absl::Status started = ensemble->Start();
  if (!started.ok()) return started;
  return std::unique_ptr<ZkEnsemble>(std::move(ensemble));
}

}  // namespace dcos::bench
