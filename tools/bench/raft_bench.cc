// raft_bench: commit latency and throughput of libs/raft on this machine.
//
// Three members in one process, each with its own FileLogStorage directory (real fdatasync),
// its own gRPC server on a loopback port and a GrpcTransport to the others — the same pieces
// dcos-zk runs. Closed-loop proposers (1, 16, 256 at a time) propose 256-byte and 1 KiB
// commands to the leader; latency is from Propose to the leader applying the entry. In the
// same run, the floor: this disk's own write + fdatasync latency, both appending to a growing
// file (every fdatasync also commits the new file size through the ext4 journal) and
// overwriting in place a file zero-filled beforehand (what fio measures, and what
// FileLogStorage does in its preallocated segments). The goal's "one fdatasync" is the latter.
//
//   bazel build -c opt //tools/bench:raft_bench
//   bazel-bin/tools/bench/raft_bench [--dir=/var/tmp/raft-bench] [--seconds=5] [--in_memory]
//                                    [--proposers=N]

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/clock/clock.h"
#include "libs/log/log.h"
#include "libs/raft/env.h"
#include "libs/raft/file_log_storage.h"
#include "libs/raft/grpc_transport.h"
#include "libs/raft/sink_proxy.h"
#include "libs/raft/mem_log_storage.h"
#include "libs/raft/raft_node.h"
#include "libs/raft/transport_service.h"

namespace dcos::raft {
namespace {

using Clock = std::chrono::steady_clock;

struct Percentiles {
  double p50 = 0, p99 = 0, p999 = 0;
};

Percentiles Summarize(std::vector<double> us) {
  Percentiles p;
  if (us.empty()) return p;
  std::sort(us.begin(), us.end());
  auto at = [&](double q) { return us[std::min(us.size() - 1, static_cast<size_t>(q * us.size()))]; };
  p.p50 = at(0.50);
  p.p99 = at(0.99);
  p.p999 = at(0.999);
  return p;
}

// How a floor probe writes.
enum class FloorMode {
  kAppend,     // write(2) at the end of a growing file
  kOverwrite,  // pwrite(2) in place into a file zero-filled and synced beforehand
};

const char* FloorName(FloorMode mode) {
  return mode == FloorMode::kAppend ? "append" : "overwrite";
}

// `iterations` times one write of `bytes` and one fdatasync on `path`: latencies in us.
std::vector<double> ProbeFdatasync(const std::string& path, size_t bytes, int iterations,
                                   FloorMode mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror("open");
    std::exit(1);
  }
  const size_t total = bytes * static_cast<size_t>(iterations);
  if (mode == FloorMode::kOverwrite) {
    std::string zeros(1 << 20, '\0');
    for (size_t off = 0; off < total; off += zeros.size()) {
      if (pwrite(fd, zeros.data(), zeros.size(), static_cast<off_t>(off)) < 0) {
        std::perror("pwrite");
        std::exit(1);
      }
    }
    if (fdatasync(fd) != 0) std::exit(1);
  }
  std::string buf(bytes, 'x');
  std::vector<double> us;
  for (int i = 0; i < iterations; ++i) {
    auto t0 = Clock::now();
    ssize_t n = mode == FloorMode::kAppend
                    ? write(fd, buf.data(), buf.size())
                    : pwrite(fd, buf.data(), buf.size(), static_cast<off_t>(i * bytes));
    if (n != static_cast<ssize_t>(buf.size()) || fdatasync(fd) != 0) {
      std::perror("write/fdatasync");
      std::exit(1);
    }
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  close(fd);
  unlink(path.c_str());
  return us;
}

// The same with `writers` threads at once on their own files (three members on one disk).
Percentiles FdatasyncFloor(const std::string& dir, size_t bytes, int iterations, int writers,
                           FloorMode mode) {
  std::vector<std::vector<double>> per(static_cast<size_t>(writers));
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      per[static_cast<size_t>(w)] =
          ProbeFdatasync(absl::StrCat(dir, "/fdatasync-probe-", w), bytes, iterations, mode);
    });
  }
  for (auto& t : threads) t.join();
  std::vector<double> all;
  for (auto& v : per) all.insert(all.end(), v.begin(), v.end());
  return Summarize(all);
}

class CountingStateMachine final : public StateMachine {
 public:
  void Apply(const Entry&) override { ++applied_; }
  std::string Snapshot() override { return std::to_string(applied_); }
  absl::Status Restore(const std::string&, uint64_t) override { return absl::OkStatus(); }

 private:
  uint64_t applied_ = 0;
};

struct Member {
  uint64_t id = 0;
  std::string address;
  SinkProxy proxy;
  std::unique_ptr<LogStorage> storage;
  FileLogStorage* file_storage = nullptr;  // storage, unless --in_memory
  CountingStateMachine sm;
  std::unique_ptr<GrpcTransport> transport;
  std::unique_ptr<RaftTransportService> service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<RaftNode> node;
};

// A loopback port that was free a moment ago.
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("bind");
    std::exit(1);
  }
  close(fd);
  return ntohs(addr.sin_port);
}

std::vector<std::unique_ptr<Member>> StartCluster(const std::string& dir, bool in_memory) {
  std::vector<std::unique_ptr<Member>> members;
  std::map<uint64_t, std::string> addresses;
  for (uint64_t id = 1; id <= 3; ++id) {
    auto m = std::make_unique<Member>();
    m->id = id;
    m->address = absl::StrCat("127.0.0.1:", FreePort());
    addresses[id] = m->address;
    members.push_back(std::move(m));
  }
  for (auto& m : members) {
    std::string mdir = absl::StrCat(dir, "/member-", m->id);
    std::filesystem::create_directories(mdir);
    if (in_memory) {
      m->storage = std::make_unique<MemLogStorage>();
    } else {
      auto storage = FileLogStorage::Open(Env::Default(), mdir, FileLogStorage::Options{});
      if (!storage.ok()) {
        std::fprintf(stderr, "storage: %s\n", storage.status().ToString().c_str());
        std::exit(1);
      }
      m->file_storage = storage->get();
      m->storage = std::move(*storage);
    }
    RaftTransportService::Options so;
    so.identity.cluster_id = 1;
    so.identity.self = m->id;
    so.identity.is_peer = [](uint64_t id) { return id >= 1 && id <= 3; };
    so.sink = &m->proxy;
    m->service = std::make_unique<RaftTransportService>(so);
    grpc::ServerBuilder b;
    b.AddListeningPort(m->address, grpc::InsecureServerCredentials());
    b.RegisterService(m->service.get());
    m->server = b.BuildAndStart();
    GrpcTransport::Options to;
    to.self = m->id;
    to.cluster_id = 1;
    to.sink = &m->proxy;
    to.credentials = grpc::InsecureChannelCredentials();
    for (auto& [id, addr] : addresses) {
      if (id != m->id) to.peers[id] = addr;
    }
    auto transport = GrpcTransport::Create(to);
    if (!transport.ok()) {
      std::fprintf(stderr, "transport: %s\n", transport.status().ToString().c_str());
      std::exit(1);
    }
    m->transport = std::move(*transport);
    NodeOptions no;
    no.raft.id = m->id;
    no.raft.initial_voters = {1, 2, 3};
    no.raft.seed = m->id;
    no.tick_interval = absl::Milliseconds(100);
    no.snapshot_threshold = 100000;
    auto node = RaftNode::Start(no, m->storage.get(), &m->sm, m->transport.get(),
                                clock::RealClock::Default(), nullptr);
    if (!node.ok()) {
      std::fprintf(stderr, "node: %s\n", node.status().ToString().c_str());
      std::exit(1);
    }
    m->node = std::move(*node);
    m->proxy.Set(m->node.get());
  }
  return members;
}

Member* WaitLeader(std::vector<std::unique_ptr<Member>>& members) {
  for (int i = 0; i < 600; ++i) {
    for (auto& m : members) {
      if (m->node->Status().role == Role::kLeader) return m.get();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::fprintf(stderr, "no leader elected\n");
  std::exit(1);
}

struct Result {
  double per_second = 0;
  Percentiles latency;
  uint64_t errors = 0;
};

// `concurrency` closed-loop proposers for `seconds`.
Result Run(RaftNode& leader, int concurrency, size_t payload, double seconds) {
  struct State {
    absl::Mutex mu;
    std::vector<double> latencies_us;
    std::atomic<uint64_t> done{0}, errors{0};
    std::atomic<bool> stop{false};
    std::atomic<int> in_flight{0};
  } st;
  std::string data(payload, 'p');
  std::function<void()> issue = [&]() {
    st.in_flight.fetch_add(1);
    auto t0 = Clock::now();
    leader.Propose(data, [&, t0](absl::StatusOr<uint64_t> r) {
      double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
      if (r.ok()) {
        st.done.fetch_add(1);
        absl::MutexLock lock(&st.mu);
        st.latencies_us.push_back(us);
      } else {
        st.errors.fetch_add(1);
      }
      st.in_flight.fetch_sub(1);
      if (!st.stop.load()) issue();  // runs on the node's loop: Propose only posts
    });
  };
  auto start = Clock::now();
  for (int i = 0; i < concurrency; ++i) issue();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  st.stop.store(true);
  uint64_t completed = st.done.load();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  while (st.in_flight.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  Result r;
  r.per_second = static_cast<double>(completed) / elapsed;
  absl::MutexLock lock(&st.mu);
  r.latency = Summarize(st.latencies_us);
  r.errors = st.errors.load();
  return r;
}

int Main(int argc, char** argv) {
  // As the services do (libs/runtime/main.cc): no lock-order graph in measured code.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::string dir = "/var/tmp/dcos-raft-bench";
  double seconds = 5;
  bool in_memory = false;  // --in_memory: MemLogStorage, to see the cost without the disk
  int only_proposers = 0;  // --proposers=N: run only that concurrency (256 B)
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--dir=", 0) == 0) dir = a.substr(6);
    if (a.rfind("--seconds=", 0) == 0) seconds = std::stod(a.substr(10));
    if (a == "--in_memory") in_memory = true;
    if (a.rfind("--proposers=", 0) == 0) only_proposers = std::stoi(a.substr(12));
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  log::SetLevel(log::Level::kWarning);

  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("raft_bench: 3 members in one process, gRPC on loopback, FileLogStorage in %s\n",
              dir.c_str());
  // The floors, one disk-bound probe at a time (2000 writes each; 1000 per writer for 3).
  std::printf("\nfloor: one write + one fdatasync on this disk (append: at the end of a growing "
              "file; overwrite: in place, in a file zero-filled beforehand)\n");
  std::map<std::pair<FloorMode, size_t>, Percentiles> one;
  std::map<FloorMode, Percentiles> three;
  for (FloorMode mode : {FloorMode::kAppend, FloorMode::kOverwrite}) {
    for (size_t bytes : {size_t{300}, size_t{1100}}) {
      Percentiles p = FdatasyncFloor(dir, bytes, 2000, 1, mode);
      one[{mode, bytes}] = p;
      std::printf("  %-28s p50 %7.0f us   p99 %7.0f us   p99.9 %7.0f us%s\n",
                  absl::StrCat(FloorName(mode), ", ", bytes, " B").c_str(), p.p50, p.p99, p.p999,
                  mode == FloorMode::kOverwrite && bytes == 300 ? "   <- one fdatasync" : "");
    }
  }
  for (FloorMode mode : {FloorMode::kAppend, FloorMode::kOverwrite}) {
    Percentiles p = FdatasyncFloor(dir, 300, 1000, 3, mode);
    three[mode] = p;
    std::printf("  %-28s p50 %7.0f us   p99 %7.0f us   p99.9 %7.0f us\n",
                absl::StrCat("3 writers, ", FloorName(mode), ", 300 B").c_str(), p.p50,
                p.p99, p.p999);
  }
  std::printf("  (\"one fdatasync\" = overwrite in place: what fio measures, and how the WAL "
              "writes into its preallocated segments)\n");

  if (in_memory) std::printf("\n--in_memory: MemLogStorage, no fsync at all\n");
  auto members = StartCluster(dir, in_memory);
  Member* leader = WaitLeader(members);
  std::printf("\nleader: member %llu\n", static_cast<unsigned long long>(leader->id));
  // Steady state: every member has started its first segment and prepared the spare after it
  // (64 MiB of zeros each; in a long run that happens once per 64 MiB of log).
  auto warm = Clock::now();
  Run(*leader->node, 1, 256, 0.2);
  for (auto& m : members) {
    if (m->file_storage != nullptr) m->file_storage->WaitForSpareSegment();
  }
  std::printf("warm-up: first segments started, spare segments ready (%.0f ms)\n\n",
              std::chrono::duration<double, std::milli>(Clock::now() - warm).count());
  std::printf("%-10s %-8s %12s %10s %10s %10s %8s\n", "proposers", "payload", "commits/s",
              "p50 us", "p99 us", "p99.9 us", "errors");
  double one_proposer_256 = 0, many_256 = 0;
  for (size_t payload : {size_t{256}, size_t{1024}}) {
    for (int c : {1, 16, 256}) {
      if (only_proposers != 0 && (c != only_proposers || payload != 256)) continue;
      Result r = Run(*leader->node, c, payload, seconds);
      std::printf("%-10d %-8zu %12.0f %10.0f %10.0f %10.0f %8llu\n", c, payload, r.per_second,
                  r.latency.p50, r.latency.p99, r.latency.p999,
                  static_cast<unsigned long long>(r.errors));
      if (payload == 256 && c == 1) one_proposer_256 = r.per_second;
      if (payload == 256 && c == 256) many_256 = r.per_second;
      if (c == 1) {
        const size_t bytes = payload == 256 ? 300 : 1100;
        std::printf("%-10s one-proposer p50 / one fdatasync p50 (overwrite, %zu B) = %.2fx%s; "
                    "/ append %zu B = %.2fx; / 3-writer overwrite 300 B = %.2fx; "
                    "/ 3-writer append = %.2fx\n",
                    "", bytes, r.latency.p50 / one[{FloorMode::kOverwrite, bytes}].p50,
                    payload == 256 ? " (goal <= 2x)" : "", bytes,
                    r.latency.p50 / one[{FloorMode::kAppend, bytes}].p50,
                    r.latency.p50 / three[FloorMode::kOverwrite].p50,
                    r.latency.p50 / three[FloorMode::kAppend].p50);
      }
    }
  }
  std::printf("\nthroughput at 256 proposers / 1 proposer (256 B) = %.1fx (goal >= 20x)\n",
              one_proposer_256 > 0 ? many_256 / one_proposer_256 : 0.0);
  for (auto& m : members) m->node->Stop();
  for (auto& m : members) m->transport->Stop();
  for (auto& m : members) m->server->Shutdown();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace dcos::raft

int main(int argc, char** argv) { return dcos::raft::Main(argc, argv); }
