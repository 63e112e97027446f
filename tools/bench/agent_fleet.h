#pragma once

// AgentFleet: many simulated agents on dcos-master's AgentChannel API, in one process, for
// benchmarks. Each agent is one bidirectional stream on gRPC's callback client API (no thread
// per stream), spread over a few channels, each its own TCP connection (dcos-master allows
// grpc.max_concurrent_streams, 1000 by default, per connection). An agent re-registers with
// its id, resources and running tasks (Reregister: an id the master does not know is admitted,
// so the fleet also populates a fresh cluster), answers pings, and when its stream ends
// reconnects to the current target after a random backoff in [0, b], b doubling from
// initial_backoff up to max_backoff (by default dcos-agent's: 1 s doubling up to 1 min, reset
// once registered). SetTarget (the leader detector's news) does what dcos-agent's MasterLink
// does when its detector names a new leader: agents waiting to reconnect go there at once, and
// a stream to another master is ended and followed at once by one to the new target.
//
// Thread-safe. Stop (or the destructor) cancels every stream and waits for them to end.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace dcos::bench {

struct AgentFleetOptions {
  int agents = 10000;
  int tasks_per_agent = 10;
  int frameworks = 10;
  int channels = 20;  // per master address
  int starters = 4;   // threads that start a wave's streams at once (real agents: one each)
  absl::Duration initial_backoff = absl::Seconds(1);  // agent.registration_backoff_factor
  absl::Duration max_backoff = absl::Minutes(1);
  uint64_t seed = 1;
};

class AgentFleet {
 public:
  explicit AgentFleet(AgentFleetOptions options);
  ~AgentFleet();

  AgentFleet(const AgentFleet&) = delete;
  AgentFleet& operator=(const AgentFleet&) = delete;

  // Where (re)connections go from now on; agents waiting to reconnect go at once, their
  // backoff reset, and streams to another address are ended and reconnect at once. The first
  // call connects every agent.
  void SetTarget(const std::string& address);

  // Agents whose current stream has been answered Reregistered.
  int registered() const;
  // Answers (Registered or Reregistered) received so far, over all streams: cheap to poll
  // (registered_at copies every agent's time).
  int64_t answers() const;
  // When each agent's current stream was answered (absl::InfinitePast(): not yet).
  std::vector<absl::Time> registered_at() const;
  // Connection attempts refused or broken so far.
  int64_t failed_attempts() const;
  // Those attempts by how they ended: "<grpc code> <start of the message>" -> count.
  std::map<std::string, int64_t> failures() const;

  void Stop();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace dcos::bench
