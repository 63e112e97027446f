#include "tools/dcos/cli.h"

#include <signal.h>

#include <cstdlib>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tools/dcos/context.h"
#include "tools/dcos/master_commands.h"
#include "tools/dcos/role_commands.h"
#include "tools/dcos/task_commands.h"
#include "tools/dcos/zk_commands.h"

namespace dcos::cli {
namespace {

// Every command group. Add a group: write its Run function in its own file, add a row.
constexpr CommandGroup kGroups[] = {
    {"zk", "read and write the dcos-zk coordination tree", &RunZk},
    {"node", "the cluster's agents (list, deactivate, reactivate, drain, decommission)",
     &RunNode},
    {"framework", "the frameworks the master knows (list)", &RunFramework},
    {"master", "the leading master's whole state (state), its Mesos-named figures (metrics)",
     &RunMaster},
    {"task", "tasks: run -- <command>, list, log, ls", &RunTaskGroup},
    {"quota", "roles' quota guarantees (list, set, remove)", &RunQuota},
    {"weight", "roles' DRF weights (list, set)", &RunWeight},
};

void PrintHelp(std::ostream& os) {
  os << "Usage: dcos [global flags] <group> <subcommand> [args...]\n"
        "\n"
        "Groups:\n";
  for (const CommandGroup& g : kGroups) os << "  " << g.name << "\t" << g.summary << "\n";
  os << "\n"
        "Global flags (before the group):\n"
        "  --zk=HOST:PORT,...   dcos-zk members (default: $DCOS_ZK, else "
     << kDefaultZk
     << ")\n"
        "  --master=HOST:PORT   a dcos-master (default: $DCOS_MASTER, else "
     << kDefaultMaster
     << ")\n"
        "  --timeout=DURATION   how long to keep retrying while the cluster is unavailable\n"
        "                       (default 10s)\n"
        "  -h, --help           this help\n"
        "\n"
        "Run `dcos <group> --help` for a group's subcommands.\n";
}

int Usage(std::ostream& err, const std::string& problem) {
  err << "dcos: " << problem << "\n\n";
  PrintHelp(err);
  return kExitUsage;
}

std::vector<std::string> SplitList(absl::string_view list) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(list, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (!part.empty()) out.emplace_back(part);
  }
  return out;
}

// If args[*i] is the flag `name` ("--name=value" or "--name value"), stores its value, advances
// *i past it and returns true. A flag without its value sets *missing.
bool TakeFlag(const std::vector<std::string>& args, size_t* i, absl::string_view name,
              std::string* value, bool* missing) {
  const std::string& arg = args[*i];
  std::string prefix = std::string(name) + "=";
  if (absl::StartsWith(arg, prefix)) {
    *value = arg.substr(prefix.size());
    ++*i;
    return true;
  }
  if (arg != name) return false;
  if (*i + 1 >= args.size()) {
    *missing = true;
    return true;
  }
  *value = args[*i + 1];
  *i += 2;
  return true;
}

}  // namespace

int Run(const std::vector<std::string>& args,
        const std::function<const char*(const char*)>& getenv, std::ostream& out,
        std::ostream& err, Interrupt* interrupt) {
  Context ctx;
  ctx.out = &out;
  ctx.err = &err;
  ctx.interrupt = interrupt;
  const char* env_zk = getenv("DCOS_ZK");
  std::string zk = env_zk != nullptr && *env_zk != '\0' ? env_zk : kDefaultZk;
  const char* env_master = getenv("DCOS_MASTER");
  ctx.master = env_master != nullptr && *env_master != '\0' ? env_master : kDefaultMaster;
  size_t i = 0;
  while (i < args.size() && absl::StartsWith(args[i], "-")) {
    std::string value;
    bool missing = false;
    if (args[i] == "-h" || args[i] == "--help") {
      PrintHelp(out);
      return kExitOk;
    }
    if (TakeFlag(args, &i, "--zk", &value, &missing)) {
      if (missing) return Usage(err, "--zk needs a value");
      zk = value;
    } else if (TakeFlag(args, &i, "--master", &value, &missing)) {
      if (missing || value.empty()) return Usage(err, "--master needs a value");
      ctx.master = value;
    } else if (TakeFlag(args, &i, "--timeout", &value, &missing)) {
      if (missing) return Usage(err, "--timeout needs a value");
      if (!absl::ParseDuration(value, &ctx.timeout) || ctx.timeout < absl::ZeroDuration()) {
        return Usage(err, "--timeout: \"" + value + "\" is not a duration like 10s or 500ms");
      }
    } else {
      return Usage(err, "unknown flag " + args[i]);
    }
  }
  ctx.zk_ensemble = SplitList(zk);
  if (ctx.zk_ensemble.empty()) return Usage(err, "--zk: no member addresses");
  if (i == args.size()) return Usage(err, "no command group given");
  for (const CommandGroup& g : kGroups) {
    if (args[i] == g.name) {
      return g.run(ctx, std::vector<std::string>(args.begin() + i + 1, args.end()));
    }
  }
  return Usage(err, "unknown command group \"" + args[i] + "\"");
}

namespace {

Interrupt g_interrupt;

// Async-signal-safe: lock-free atomics, signal() and raise() only.
extern "C" void OnShutdownSignal(int signal_number) {
  if (!g_interrupt.enabled.load()) {
    signal(signal_number, SIG_DFL);
    raise(signal_number);
    return;
  }
  g_interrupt.requested.store(true);
}

}  // namespace

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  struct sigaction action = {};
  action.sa_handler = OnShutdownSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  int code = Run(args, [](const char* name) { return std::getenv(name); }, std::cout, std::cerr,
                 &g_interrupt);
  std::cout.flush();
  return code;
}

}  // namespace dcos::cli
