#pragma once

// The workload zk_bench drives against any ZooKeeper-like ensemble: an interface for the
// per-system driver (ZkDriver) and a closed-loop runner that keeps a fixed number of requests
// in flight over the driver's connections and measures throughput and latency.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace dcos::bench {

enum class ZkOp { kSet, kGet, kCreate, kDelete };

// One system's client side: `connections()` client connections, each able to carry many
// requests at once. Thread-safe: Issue may be called from any thread, including from inside
// a `done` callback.
class ZkDriver {
 public:
  // Called exactly once per Issue, on a driver thread, with whether the op succeeded.
  using Done = std::function<void(bool ok)>;

  virtual ~ZkDriver() = default;
  virtual int connections() const = 0;

  // Starts `op` on connection `conn` (0 <= conn < connections()). `path` is copied; `data`
  // (set and create) must stay alive until `done` runs. `done` may run before Issue returns. Sets and deletes are unconditional; creates are
  // persistent. Reads are served by the connection's own member (ZooKeeper's default
  // consistency); writes go wherever the system sends writes.
  virtual void Issue(int conn, ZkOp op, const std::string& path, const std::string* data,
                     Done done) = 0;

  // The first failure's description since the last call ("" if none), to explain errors.
  virtual std::string TakeFirstError() = 0;
};

// A running 3-member ensemble of one system, started by the benchmark. Thread-compatible.
class ZkEnsemble {
 public:
  virtual ~ZkEnsemble() = default;  // stops every member process
  virtual std::string name() const = 0;
  // `connections` client connections, spread round-robin over the members.
  virtual absl::StatusOr<std::unique_ptr<ZkDriver>> Connect(int connections) = 0;
  // "host:port" of the members' client APIs, in member order (empty where not known).
  virtual std::vector<std::string> addresses() const { return {}; }
  // The member processes, in member order.
  virtual std::vector<pid_t> pids() = 0;
  // kill -9 of the current leader, then the time until a client's write succeeds.
  virtual absl::StatusOr<absl::Duration> KillLeaderAndTimeFirstWrite() = 0;
};

struct Percentiles {
  double p50 = 0, p99 = 0, p999 = 0;  // microseconds
};
Percentiles Summarize(std::vector<double> us);

// What a phase does: every request a set, every request a get, create then delete of a fresh
// node (each counts as one op), or a fixed mix of 4 gets, 4 sets, 1 create, 1 delete per 10.
enum class Phase { kSet, kGet, kCreateDelete, kMix };
const char* PhaseName(Phase phase);
// The phase called `name`: "set", "get", "create+delete" or "mix"; nullopt for anything else.
std::optional<Phase> PhaseNamed(absl::string_view name);

struct PhaseResult {
  double ops_per_second = 0;  // completed ops in the measured window / its length
  Percentiles latency;        // of ops started and finished in the measured window
  uint64_t ops = 0;
  uint64_t errors = 0;
  std::string first_error;  // what the first failure said
};

struct RunOptions {
  int in_flight = 1;                        // requests outstanding at any moment
  absl::Duration warmup = absl::Seconds(1);  // ops before this are not measured
  absl::Duration measure = absl::Seconds(5);
  std::string key_prefix = "/bench/k";  // set/get keys: <prefix>0 .. <prefix>(keys-1)
  int keys = 256;
  // create+delete nodes: <prefix><run>-<slot>-<n>; a phase that ends between a create and
  // its delete leaves that node behind.
  std::string scratch_prefix = "/bench/cd";
  const std::string* data = nullptr;         // the payload of sets and creates
};

// Runs one phase: `in_flight` slots, slot s on connection s % connections(), each issuing its
// next op as soon as the previous finishes (closed loop). Waits for every op to finish.
// ABORTED if a stop was requested (SIGINT), DEADLINE_EXCEEDED if ops never finished.
absl::Status RunPhase(ZkDriver& driver, Phase phase, const RunOptions& options,
                      PhaseResult* result);

// Creates `<prefix>0 .. <prefix>(count-1)` with `data`, `in_flight` lanes at a time; a failed
// create ends its lane. Returns how many were created; ABORTED on a stop request,
// DEADLINE_EXCEEDED after 5 minutes.
absl::StatusOr<int> CreateMany(ZkDriver& driver, const std::string& prefix, int count,
                               const std::string& data, int in_flight);

}  // namespace dcos::bench
