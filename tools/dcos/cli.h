#pragma once

// The dcos command line: global flags, then a command group from a small table (cli.cc), each
// group in its own file (zk_commands.cc; `dcos task ...` and others later).
//
//   dcos [--zk=HOST:PORT,...] [--timeout=DURATION] <group> <subcommand> [args...]
//
// Global flags go before the group. Usage errors print help to stderr and exit 2.

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "tools/dcos/context.h"

namespace dcos::cli {

// The ensemble `dcos` talks to when neither --zk nor $DCOS_ZK says otherwise: the one
// `tools/dev up` starts.
inline constexpr char kDefaultZk[] = "127.0.1.1:2181,127.0.1.2:2181,127.0.1.3:2181";

// Runs the CLI on `args` (argv without the program name). `getenv` reads the environment
// (returns nullptr for unset variables). `interrupt` ends a command that runs until
// interrupted (null: never). Returns the exit code.
int Run(const std::vector<std::string>& args,
        const std::function<const char*(const char*)>& getenv, std::ostream& out,
        std::ostream& err, Interrupt* interrupt = nullptr);

// main(): Run on the process's arguments, environment, stdout and stderr; SIGINT and SIGTERM
// interrupt a command that runs until interrupted.
int Main(int argc, char** argv);

}  // namespace dcos::cli
