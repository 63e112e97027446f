#pragma once

// A linearizability checker: is there an order of a concurrent history's operations, each
// taking effect at one instant between its call and its return, that a sequential model
// accepts? Wing & Gong's search with Lowe's memoization (a cache of (operations linearized,
// model state) already explored), over histories split into independent parts (one per key,
// P-compositionality) so each search stays small.
//
// Used by the multi-process tests of dcos-zk: clients record every operation's invocation and
// result while members are killed and restarted; the checker verifies the history.
//
// Pure and single-threaded.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace dcos::lincheck {

// One completed operation as a client saw it. An operation whose outcome is unknown (a
// timeout on a write) must be recorded with `ret` = +infinity time (absl::InfiniteFuture())
// and `unknown` set: it may or may not have taken effect, at any point after its call.
struct Operation {
  int client = 0;
  absl::Time call;
  absl::Time ret;
  std::string key;     // for partitioning; operations on different keys are independent
  std::string input;   // model-specific encoding, e.g. "put v1", "get"
  std::string output;  // model-specific encoding, e.g. "ok", "v1", "notfound"
  bool unknown = false;
};

// A sequential specification over string-encoded states.
struct Model {
  // The state of one key before any operation.
  std::string initial;
  // Applies `op` to `state`: false if the model cannot produce op.output from this state
  // (for an `unknown` operation, the output must be ignored). On true, *next is the state after.
  std::function<bool(const std::string& state, const Operation& op, std::string* next)> step;
};

struct Result {
  bool linearizable = true;
  // When not linearizable: the key whose history failed, and the longest prefix of
  // operations (by index into the input) that could be linearized, for the report.
  std::string key;
  std::vector<size_t> longest_prefix;
  // Search effort, summed over keys.
  uint64_t states_explored = 0;
  // True when the search gave up on some key after `max_states` (result is then unknown
  // for that key, and `linearizable` stays true only if no other key failed).
  bool gave_up = false;
};

// Checks `history` against `model`, key by key. `max_states` bounds the search per key.
Result Check(const std::vector<Operation>& history, const Model& model,
             uint64_t max_states = 10'000'000);

// A register per key: inputs "put <v>" (output "ok"), "get" (output the value, or "" when
// never written), "cas <old> <new>" (output "ok" or "fail"), "delete" (output "ok").
Model RegisterModel();

}  // namespace dcos::lincheck
