#pragma once

// Helpers of dcos-dns's multi-process tests: a dcos-dns process on free loopback ports, `dig`
// run as a child, DNS queries sent from the test itself (to time how soon a name resolves, at
// millisecond resolution), and a simulated agent + framework that make tasks RUNNING on a real
// dcos-master (tests/master/sim_clients.h). Test-only; drive them from the test's thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/dns/message.h"
#include "libs/testing/process.h"
#include "tests/master/sim_clients.h"

namespace dcos::testing {

using dcos::dns::Message;
using dcos::dns::Rcode;
using dcos::dns::RRType;

// Starts dcos-master on `address` ("ip:port") with `flags` besides its listen addresses and
// waits until it serves.
std::unique_ptr<TestProcess> StartMaster(const std::string& name, const std::string& address,
                                         const std::vector<std::string>& flags,
                                         const std::string& dir);

// A dcos-dns process listening on `ip` (DNS on a free port, gRPC and metrics on others).
struct DnsProcess {
  std::string ip;
  int dns_port = 0;
  std::string grpc;     // "ip:port"
  std::string metrics;  // "ip:port"
  std::unique_ptr<TestProcess> process;
};

// Starts dcos-dns with `flags` (dns.* and others) on top of the listen addresses, and waits
// until it serves (ready: a master's state is served) unless `wait_ready` is false.
DnsProcess StartDns(const std::string& name, const std::string& dir,
                    const std::vector<std::string>& flags, bool wait_ready = true,
                    const std::string& ip = "127.0.0.1");

struct DigResult {
  int exit_code = -1;
  std::string output;
};
// Runs `dig @server -p port <args...>` (at most 20 s).
DigResult Dig(const std::string& server, int port, const std::vector<std::string>& args);

// Sends `packet` over UDP and returns the response bytes, or nullopt after `timeout`.
std::optional<std::vector<uint8_t>> UdpExchange(const std::string& ip, int port,
                                                const std::vector<uint8_t>& packet,
                                                absl::Duration timeout);
// A query of `name`/`type` over UDP (EDNS0, 1232 bytes), parsed; nullopt on no answer.
std::optional<Message> UdpQuery(const std::string& ip, int port, const std::string& name,
                                RRType type, absl::Duration timeout = absl::Seconds(2));
// The answer section's data of that query as text ("10.0.0.1", "0 1 31000 x.mesos."),
// sorted; empty for NXDOMAIN/NODATA or no answer.
std::set<std::string> Answers(const std::string& ip, int port, const std::string& name,
                              RRType type);

// Polls UdpQuery every millisecond until `ok` holds for the answer; how long that took, or
// DEADLINE_EXCEEDED after `timeout`.
absl::StatusOr<absl::Duration> TimeUntil(const std::string& ip, int port, const std::string& name,
                                         RRType type,
                                         const std::function<bool(const Message&)>& ok,
                                         absl::Duration timeout);

// One simulated agent (cpus 8, mem 8192, ports 31000-32999) and one framework on a master;
// launches tasks and reports their states like an agent would.
class SimCluster {
 public:
  // Registers the agent (at `agent_ip`) and the framework `framework_name`, and waits for an
  // offer.
  SimCluster(const std::string& master, const std::string& framework_name,
             const std::string& agent_ip = "127.0.3.1");
  ~SimCluster();

  struct TaskSpec {
    std::string id;
    std::string name;
    uint32_t port = 0;            // a "ports" resource of this one port; 0: none
    std::string container_ip;     // reported in the RUNNING status; "" for the agent's
  };
  // Launches `tasks` in one Accept of the current offer and waits until the agent is asked to
  // run each of them. The offer must hold their resources (0.01 cpus, 1 MiB each).
  void Launch(const std::vector<TaskSpec>& tasks);
  // Reports `state` for the task (RUNNING carries its container IP), with a fresh timestamp.
  void Report(const TaskSpec& task, common::v1::TaskState state);

  const std::string& agent_id() const { return agent_id_; }
  const std::string& framework_id() const { return framework_id_; }
  // Drops the agent's and framework's streams (e.g. before their master is killed).
  void Disconnect();

 private:
  std::string agent_id_;
  std::string framework_id_;
  std::string stream_id_;
  std::unique_ptr<SimAgent> agent_;
  std::unique_ptr<SimFramework> framework_;
  size_t offers_used_ = 0;
};

// The value of a metric line ("name{labels} value") on a /metrics page; nullopt if absent.
std::optional<double> Metric(const std::string& page, const std::string& series);
// Waits (up to 5 s: dcos-dns copies its counters to the metrics every 250 ms) until `series`
// on the /metrics page at `metrics` satisfies `ok`.
absl::Status WaitMetric(const std::string& metrics, const std::string& series,
                        const std::function<bool(double)>& ok);

}  // namespace dcos::testing
