#include "tools/dcos/task_commands.h"

#include "tools/dcos/master_commands.h"

#include <cmath>
#include <cstdlib>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace dcos::cli {
namespace {

constexpr char kHelp[] =
    "Usage: dcos task <subcommand> [args...]\n"
    "\n"
    "  run [flags] -- <command...>     launch one task running the command (sh -c), print its\n"
    "                                  state changes, exit 0 if it FINISHED, 1 otherwise\n"
    "      --cpus=N                    CPUs for the task (default 0.1)\n"
    "      --mem=MIB                   memory for the task in MiB (default 32)\n"
    "      --name=NAME                 task name; the id is NAME.<random> (default dcos-task)\n"
    "      --env NAME=VALUE            an environment variable (repeatable)\n"
    "      --uri URI[;executable][;no-extract][;output=NAME]\n"
    "                                  fetch URI (http://, file:// or /path on the agent) into\n"
    "                                  the sandbox first; archives are extracted (repeatable)\n"
    "      --master=HOST:PORT          the master (default $DCOS_MASTER, else 127.0.2.1:5050)\n"
    "  list [--completed]              the tasks the master knows: id, framework, host, state,\n"
    "                                  healthy, name (--completed: also the ended ones)\n"
    "  log [--follow] [--lines=N] <task> [file]\n"
    "                                  the last N (10) lines of a sandbox file (stdout); --follow\n"
    "                                  prints what is appended until the task ended\n"
    "  ls <task> [path]                the task's sandbox (or a directory in it), like ls -l\n"
    "      <task> is a task id or a prefix that names one task; --master as for run\n";

absl::Status FlagError(absl::string_view flag, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(flag, ": ", what));
}

// "--name=value" or "--name value": the value, advancing *i; nullopt if args[*i] is not it.
absl::StatusOr<std::optional<std::string>> Take(const std::vector<std::string>& args, size_t* i,
                                                absl::string_view name) {
  const std::string& arg = args[*i];
  if (absl::StartsWith(arg, absl::StrCat(name, "="))) {
    ++*i;
    return std::optional<std::string>(arg.substr(name.size() + 1));
  }
  if (arg != name) return std::optional<std::string>();
  if (*i + 1 >= args.size()) return FlagError(name, "needs a value");
  *i += 2;
  return std::optional<std::string>(args[*i - 1]);
}

absl::Status ParseAmount(absl::string_view flag, const std::string& text, double* out) {
  if (!absl::SimpleAtod(text, out) || !std::isfinite(*out) || *out <= 0) {
    return FlagError(flag, absl::StrCat("\"", text, "\" is not a positive number"));
  }
  return absl::OkStatus();
}

// "URI[;executable][;no-extract][;output=NAME]".
absl::StatusOr<common::v1::CommandURI> ParseUriFlag(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, ';');
  common::v1::CommandURI uri;
  uri.set_value(parts[0]);
  if (uri.value().empty()) return absl::InvalidArgumentError("needs a URI");
  for (size_t i = 1; i < parts.size(); ++i) {
    absl::string_view part = parts[i];
    if (part == "executable") {
      uri.set_executable(true);
    } else if (part == "no-extract") {
      uri.set_extract(false);
    } else if (absl::ConsumePrefix(&part, "output=") && !part.empty()) {
      uri.set_output_file(std::string(part));
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", parts[i], "\" is not executable, no-extract or output=NAME"));
    }
  }
  return uri;
}

}  // namespace

absl::StatusOr<TaskRunOptions> ParseTaskRun(
    const std::vector<std::string>& args, const std::function<const char*(const char*)>& getenv) {
  TaskRunOptions o;
  const char* env_master = getenv("DCOS_MASTER");
  o.master = env_master != nullptr && *env_master != '\0' ? env_master : kDefaultMaster;
  size_t i = 0;
  while (i < args.size() && args[i] != "--") {
    bool matched = false;
    for (absl::string_view flag : {"--cpus", "--mem", "--name", "--env", "--uri", "--master"}) {
      absl::StatusOr<std::optional<std::string>> v = Take(args, &i, flag);
      if (!v.ok()) return v.status();
      if (!v->has_value()) continue;
      matched = true;
      const std::string& text = **v;
      if (flag == "--cpus") {
        absl::Status s = ParseAmount(flag, text, &o.cpus);
        if (!s.ok()) return s;
      } else if (flag == "--mem") {
        absl::Status s = ParseAmount(flag, text, &o.mem);
        if (!s.ok()) return s;
      } else if (flag == "--name") {
        if (text.empty() || text.size() > 200 || text.find('/') != std::string::npos ||
            text.find(' ') != std::string::npos) {
          return FlagError(flag, "must be 1..200 characters without '/' or spaces");
        }
        o.name = text;
      } else if (flag == "--env") {
        size_t eq = text.find('=');
        if (eq == std::string::npos || eq == 0) {
          return FlagError(flag, absl::StrCat("\"", text, "\" is not NAME=VALUE"));
        }
        o.env.emplace_back(text.substr(0, eq), text.substr(eq + 1));
      } else if (flag == "--uri") {
        absl::StatusOr<common::v1::CommandURI> uri = ParseUriFlag(text);
        if (!uri.ok()) return FlagError(flag, uri.status().message());
        o.uris.push_back(*std::move(uri));
      } else {
        if (text.empty()) return FlagError(flag, "needs HOST:PORT");
        o.master = text;
      }
      break;
    }
    if (!matched) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown flag \"", args[i], "\" (put -- before the command)"));
    }
  }
  if (i >= args.size() || i + 1 == args.size()) {
    return absl::InvalidArgumentError("no command given (dcos task run [flags] -- <command>)");
  }
  o.command = absl::StrJoin(args.begin() + i + 1, args.end(), " ");
  return o;
}

int RunTaskGroup(const Context& ctx, const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? *ctx.err : *ctx.out) << kHelp;
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] == "run") {
    absl::StatusOr<TaskRunOptions> options =
        ParseTaskRun({args.begin() + 1, args.end()}, [&ctx](const char* name) -> const char* {
          // The global --master / $DCOS_MASTER, already resolved, is the default.
          if (std::string(name) == "DCOS_MASTER") return ctx.master.c_str();
          return std::getenv(name);
        });
    if (!options.ok()) {
      *ctx.err << "dcos task run: " << options.status().message() << "\n\n" << kHelp;
      return kExitUsage;
    }
    return TaskRun(ctx, *options);
  }
  if (args[0] == "list") return TaskList(ctx, {args.begin() + 1, args.end()});
  if (args[0] == "log") return TaskLog(ctx, {args.begin() + 1, args.end()});
  if (args[0] == "ls") return TaskLs(ctx, {args.begin() + 1, args.end()});
  *ctx.err << "dcos task: unknown subcommand \"" << args[0] << "\"\n\n" << kHelp;
  return kExitUsage;
}

}  // namespace dcos::cli
