#pragma once

// Running a recipe's first step on the client's event thread, where all its later steps (its
// watch callbacks) run, so that the two never race.

#include <functional>

#include "absl/status/status.h"
#include "libs/zk/client.h"
#include "libs/zk/recipes/callback_gate.h"

namespace dcos::zk::recipes {

// Runs `step` on `zk`'s event thread through `gate` and returns its status once it ran.
// Returns the session's error instead if the session ends first (the step is then dropped,
// or finishes on its own). Errors: FAILED_PRECONDITION when called on the event thread (the
// step could only run after this returns) or without a session.
absl::Status RunOnEventThread(client::ZkClient& zk, const CallbackGate& gate,
                              std::function<absl::Status()> step);

}  // namespace dcos::zk::recipes
