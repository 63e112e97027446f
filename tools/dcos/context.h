#pragma once

// What every command group of the dcos CLI receives, and the CLI's exit codes.

#include <atomic>
#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace dcos::cli {

// Exit codes of every command: 0 success, 1 the operation failed, 2 the command line is wrong.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

// The dcos-master of `tools/dev up`, when neither --master nor $DCOS_MASTER says otherwise.
inline constexpr char kDefaultMaster[] = "127.0.2.1:5050";

// Ctrl-C for a command that runs until interrupted (`dcos zk watch`). While `enabled` (the
// command sets it), SIGINT and SIGTERM set `requested` and the command returns; otherwise they
// end the process as usual.
struct Interrupt {
  std::atomic<bool> enabled{false};
  std::atomic<bool> requested{false};
};

// The global settings, resolved from flags and the environment, and where output goes. The
// streams are not owned and outlive the command.
struct Context {
  // dcos-zk members, "host:port" each (--zk, else $DCOS_ZK, else the `tools/dev up` ensemble).
  std::vector<std::string> zk_ensemble;
  // A dcos-master "host:port" (--master, else $DCOS_MASTER, else the `tools/dev up` master);
  // calls follow its redirect to the leader.
  std::string master;
  // How long a command may keep retrying while the cluster is unavailable (--timeout).
  absl::Duration timeout = absl::Seconds(10);
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  // Not owned; null: the command is never interrupted.
  Interrupt* interrupt = nullptr;
};

// A group of subcommands ("dcos zk ..."). `run` gets the arguments after the group's name and
// returns the exit code; it prints results to ctx.out and errors to ctx.err.
struct CommandGroup {
  const char* name;
  const char* summary;  // one line for `dcos --help`
  int (*run)(const Context& ctx, const std::vector<std::string>& args);
};

}  // namespace dcos::cli
