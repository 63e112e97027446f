#pragma once

// `dcos task ...`: tasks on the cluster.
//
//   run [--cpus=N] [--mem=MIB] [--name=NAME] [--env NAME=VALUE]... [--master=HOST:PORT]
//       -- <command...>
//       A small framework (like mesos-execute): subscribes to the master, waits for an offer
//       that fits, launches one task running the command (`sh -c`), prints its state changes,
//       and exits 0 when it FINISHED, 1 otherwise. The master is --master, else $DCOS_MASTER,
//       else 127.0.2.1:5050 (the one `tools/dev up` starts). The global --timeout bounds the
//       wait for the master and for an offer.
//   log [--follow] [--lines=N] [--master=HOST:PORT] <task> [file]
//       The last N (10) lines of a sandbox file (stdout by default); --follow keeps printing
//       what is appended until the task has ended. <task> is an id or a prefix naming one.
//   ls [--master=HOST:PORT] <task> [path]
//       The task's sandbox directory (or `path` in it), like ls -l.
//
// Usage errors print help and exit 2.

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "protos/common/v1/command.pb.h"
#include "tools/dcos/context.h"

namespace dcos::cli {


struct TaskRunOptions {
  std::string master;
  double cpus = 0.1;
  double mem = 32;  // MiB
  // The task's name; its id is the name and a random suffix ("<name>.<8 hex digits>").
  std::string name = "dcos-task";
  std::vector<std::pair<std::string, std::string>> env;
  // Fetched into the sandbox before the command starts (--uri).
  std::vector<common::v1::CommandURI> uris;
  // The shell command: the words after "--", joined by spaces.
  std::string command;
};

// Parses the arguments of `dcos task run`. INVALID_ARGUMENT naming the flag on bad input.
absl::StatusOr<TaskRunOptions> ParseTaskRun(
    const std::vector<std::string>& args, const std::function<const char*(const char*)>& getenv);

// Runs `dcos task <args>`.
int RunTaskGroup(const Context& ctx, const std::vector<std::string>& args);

// `dcos task run` with parsed options (task_run.cc).
int TaskRun(const Context& ctx, const TaskRunOptions& options);

// `dcos task log <args>` and `dcos task ls <args>` (task_files.cc).
int TaskLog(const Context& ctx, const std::vector<std::string>& args);
int TaskLs(const Context& ctx, const std::vector<std::string>& args);

}  // namespace dcos::cli
