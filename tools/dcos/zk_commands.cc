#include "tools/dcos/zk_commands.h"

#include <algorithm>
#include <map>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "libs/zk/client.h"
#include "libs/zk/errors.h"
#include "tools/dcos/zk_backup.h"
#include "tools/dcos/zk_member.h"
#include "tools/dcos/zk_restore.h"
#include "tools/dcos/zk_status.h"
#include "tools/dcos/zk_watch.h"

namespace dcos::cli {
namespace {

using zk::client::ZkClient;
namespace v1 = zk::v1;

constexpr char kHelp[] =
    "Usage: dcos zk <subcommand> [args...]\n"
    "\n"
    "  ls <path>                          list the children of a node\n"
    "  get <path>                         print a node's data\n"
    "  stat <path>                        print a node's Stat\n"
    "  create [-s] [-c] [-e] <path> [data]\n"
    "                                     create a node (-s sequential, -c container;\n"
    "                                     -e is refused: an ephemeral node would go with\n"
    "                                     this command's session, as it exits)\n"
    "  set [-v version] <path> <data>     replace a node's data (only at that version)\n"
    "  delete [-v version] <path>         delete a node (only at that version)\n"
    "  sync                               wait until the member has every committed write\n"
    "  watch [--children] <path>          print the node's changes (its children's with\n"
    "                                     --children) until interrupted (Ctrl-C)\n"
    "  status                             the ensemble: members, roles, lag, health, quorum\n"
    "  backup FILE                        a consistent snapshot of the tree, written to FILE\n"
    "  restore FILE                       load a backup into the one member --zk names,\n"
    "                                     started with --zk.restore_mode: it becomes a new\n"
    "                                     one-member ensemble (then add the others)\n"
    "  member add ID HOST:PORT            add a member (started with --raft.join): it\n"
    "                                     catches up, then votes\n"
    "  member remove ID                   remove a member (the leader hands over first)\n"
    "\n"
    "Flags come before the path; put -- before data that starts with '-'.\n";

// A subcommand's parsed command line: single-letter flags (with a value for those listed as
// taking one), then positional arguments.
struct Parsed {
  std::map<char, std::string> flags;
  std::vector<std::string> positional;
  // -v's value; -1 when absent.
  int32_t version = -1;
};

class Zk {
 public:
  Zk(const Context& ctx, std::string command) : ctx_(ctx), command_(std::move(command)) {}

  int Usage(const std::string& problem) {
    *ctx_.err << "dcos zk" << (command_.empty() ? "" : " " + command_) << ": " << problem
              << "\n\n"
              << kHelp;
    return kExitUsage;
  }

  int Fail(const absl::Status& status) {
    std::string code = zk::client::ErrorCodeName(zk::client::ErrorCodeOf(status));
    absl::string_view message = status.message();
    *ctx_.err << "dcos zk " << command_ << ": "
              << (absl::StartsWith(message, code) ? "" : code + ": ") << message << "\n";
    return kExitError;
  }

  // Splits `args` by the flags in `no_value` and `with_value`; false (after printing usage)
  // on an unknown flag, a missing value, or a positional count outside [min, max].
  bool Parse(const std::vector<std::string>& args, absl::string_view no_value,
             absl::string_view with_value, size_t min, size_t max, Parsed* parsed, int* code) {
    size_t i = 0;
    for (; i < args.size() && args[i].size() > 1 && args[i][0] == '-'; ++i) {
      if (args[i] == "--") {
        ++i;
        break;
      }
      for (size_t j = 1; j < args[i].size(); ++j) {
        char flag = args[i][j];
        if (absl::StrContains(with_value, flag) && j == args[i].size() - 1) {
          if (i + 1 >= args.size()) {
            *code = Usage(absl::StrCat("-", std::string(1, flag), " needs a value"));
            return false;
          }
          parsed->flags[flag] = args[++i];
          break;
        }
        if (!absl::StrContains(no_value, flag)) {
          *code = Usage(absl::StrCat("unknown flag -", std::string(1, flag)));
          return false;
        }
        parsed->flags[flag] = "";
      }
    }
    parsed->positional.assign(args.begin() + i, args.end());
    if (parsed->positional.size() < min || parsed->positional.size() > max) {
      *code = Usage("wrong number of arguments");
      return false;
    }
    return true;
  }

  // Reads -v into parsed->version; false (after usage) if it is not an int32 >= 0.
  bool Version(Parsed* parsed, int* code) {
    auto it = parsed->flags.find('v');
    if (it == parsed->flags.end()) return true;
    if (!absl::SimpleAtoi(it->second, &parsed->version) || parsed->version < 0) {
      *code = Usage("-v: \"" + it->second + "\" is not a version (an integer >= 0)");
      return false;
    }
    return true;
  }

  // Connects (with a session if asked), or prints the error: nullptr then, with *code set.
  std::unique_ptr<ZkClient> Connect(int* code, bool session) {
    ZkClient::Options options;
    if (session) options.session = ZkClient::Options::Session{};
    options.ensemble = ctx_.zk_ensemble;
    options.retry_budget = ctx_.timeout;
    options.call_timeout = std::min(options.call_timeout, std::max(ctx_.timeout, absl::Seconds(1)));
    absl::StatusOr<std::unique_ptr<ZkClient>> client = ZkClient::Connect(options);
    if (client.ok()) return std::move(*client);
    if (client.status().code() == absl::StatusCode::kInvalidArgument) {
      *code = Usage(absl::StrCat("--zk: ", client.status().message()));
    } else {
      *code = Fail(client.status());
    }
    return nullptr;
  }

  int Run(std::vector<std::string> args);

 private:
  int Ls(ZkClient& zk, const Parsed& p);
  int Get(ZkClient& zk, const Parsed& p);
  int Stat(ZkClient& zk, const Parsed& p);
  int Create(ZkClient& zk, const Parsed& p);
  int Set(ZkClient& zk, const Parsed& p);
  int Delete(ZkClient& zk, const Parsed& p);
  int Sync(ZkClient& zk, const Parsed& p);
  int Watch(ZkClient& zk, const Parsed& p);

  const Context& ctx_;
  std::string command_;
};

int Zk::Ls(ZkClient& zk, const Parsed& p) {
  absl::StatusOr<std::vector<std::string>> children =
      zk.GetChildren(p.positional[0], /*linearizable=*/true);
  if (!children.ok()) return Fail(children.status());
  *ctx_.out << "[" << absl::StrJoin(*children, ", ") << "]\n";
  return kExitOk;
}

int Zk::Get(ZkClient& zk, const Parsed& p) {
  absl::StatusOr<std::pair<std::string, v1::Stat>> data =
      zk.GetData(p.positional[0], /*linearizable=*/true);
  if (!data.ok()) return Fail(data.status());
  *ctx_.out << data->first << "\n";
  return kExitOk;
}

int Zk::Stat(ZkClient& zk, const Parsed& p) {
  const std::string& path = p.positional[0];
  absl::StatusOr<std::optional<v1::Stat>> stat = zk.Exists(path, /*linearizable=*/true);
  if (!stat.ok()) return Fail(stat.status());
  if (!stat->has_value()) return Fail(absl::NotFoundError("NO_NODE " + path + ": no such node"));
  PrintStat(**stat, *ctx_.out);
  return kExitOk;
}

int Zk::Create(ZkClient& zk, const Parsed& p) {
  bool sequential = p.flags.count('s') > 0;
  v1::CreateMode mode = p.flags.count('c') > 0 ? v1::CREATE_MODE_CONTAINER
                        : sequential           ? v1::CREATE_MODE_PERSISTENT_SEQUENTIAL
                                               : v1::CREATE_MODE_PERSISTENT;
  std::string data = p.positional.size() > 1 ? p.positional[1] : "";
  absl::StatusOr<std::string> created = zk.Create(p.positional[0], data, mode);
  if (!created.ok()) return Fail(created.status());
  *ctx_.out << "Created " << *created << "\n";
  return kExitOk;
}

int Zk::Set(ZkClient& zk, const Parsed& p) {
  absl::StatusOr<v1::Stat> stat = zk.SetData(p.positional[0], p.positional[1], p.version);
  return stat.ok() ? kExitOk : Fail(stat.status());
}

int Zk::Delete(ZkClient& zk, const Parsed& p) {
  absl::Status deleted = zk.Delete(p.positional[0], p.version);
  return deleted.ok() ? kExitOk : Fail(deleted);
}

int Zk::Sync(ZkClient& zk, const Parsed&) {
  absl::Status synced = zk.Sync();
  if (!synced.ok()) return Fail(synced);
  *ctx_.out << "Sync is OK\n";
  return kExitOk;
}

int Zk::Watch(ZkClient& zk, const Parsed& p) {
  return WatchZk(ctx_, zk, p.positional[0], /*children=*/p.flags.count('c') > 0);
}

int Zk::Run(std::vector<std::string> args) {
  struct Subcommand {
    const char* name;
    const char* flags;             // flags without a value
    const char* flags_with_value;  // flags that take one
    size_t min_args, max_args;
    int (Zk::*run)(ZkClient&, const Parsed&);
  };
  static constexpr Subcommand kSubcommands[] = {
      {"ls", "", "", 1, 1, &Zk::Ls},
      {"get", "", "", 1, 1, &Zk::Get},
      {"stat", "", "", 1, 1, &Zk::Stat},
      {"create", "sce", "", 1, 2, &Zk::Create},
      {"set", "", "v", 2, 2, &Zk::Set},
      {"delete", "", "v", 1, 1, &Zk::Delete},
      {"sync", "", "", 0, 0, &Zk::Sync},
      {"watch", "c", "", 1, 1, &Zk::Watch},
  };
  if (command_ == "watch") {  // --children is -c
    for (std::string& a : args) {
      if (a == "--children") a = "-c";
      if (a == "--") break;
    }
  }
  for (const Subcommand& sub : kSubcommands) {
    if (command_ != sub.name) continue;
    Parsed parsed;
    int code = kExitOk;
    if (!Parse(args, sub.flags, sub.flags_with_value, sub.min_args, sub.max_args, &parsed,
               &code) ||
        !Version(&parsed, &code)) {
      return code;
    }
    if (parsed.flags.count('e') > 0) {
      *ctx_.err << "dcos zk create: -e: an ephemeral node lives as long as its session, and this "
                   "command's session ends when it exits: nothing would remain\n";
      return kExitError;
    }
    if (parsed.flags.count('s') > 0 && parsed.flags.count('c') > 0) {
      return Usage("-s and -c cannot be combined (a container node is not sequential)");
    }
    std::unique_ptr<ZkClient> zk = Connect(&code, /*session=*/command_ == "watch");
    if (zk == nullptr) return code;
    return (this->*sub.run)(*zk, parsed);
  }
  return Usage("unknown subcommand \"" + command_ + "\"");
}

}  // namespace

void PrintStat(const v1::Stat& stat, std::ostream& out) {
  auto hex = [](int64_t v) { return absl::StrCat("0x", absl::Hex(v)); };
  auto time = [](const google::protobuf::Timestamp& t) {
    return absl::FormatTime("%a %b %d %H:%M:%S %Z %Y",
                            absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos()),
                            absl::UTCTimeZone());
  };
  out << "cZxid = " << hex(stat.czxid()) << "\n"
      << "ctime = " << time(stat.ctime()) << "\n"
      << "mZxid = " << hex(stat.mzxid()) << "\n"
      << "mtime = " << time(stat.mtime()) << "\n"
      << "pZxid = " << hex(stat.pzxid()) << "\n"
      << "cversion = " << stat.cversion() << "\n"
      << "dataVersion = " << stat.version() << "\n"
      << "aclVersion = " << stat.aversion() << "\n"
      << "ephemeralOwner = " << hex(stat.ephemeral_owner()) << "\n"
      << "dataLength = " << stat.data_length() << "\n"
      << "numChildren = " << stat.num_children() << "\n";
}

int RunZk(const Context& ctx, const std::vector<std::string>& args) {
  if (args.empty()) return Zk(ctx, "").Usage("no subcommand given");
  if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    *ctx.out << kHelp;
    return kExitOk;
  }
  if (args[0] == "status") {
    return RunZkStatus(ctx, std::vector<std::string>(args.begin() + 1, args.end()));
  }
  if (args[0] == "member") {
    return RunZkMember(ctx, std::vector<std::string>(args.begin() + 1, args.end()));
  }
  if (args[0] == "backup") {
    return RunZkBackup(ctx, std::vector<std::string>(args.begin() + 1, args.end()));
  }
  if (args[0] == "restore") {
    return RunZkRestore(ctx, std::vector<std::string>(args.begin() + 1, args.end()));
  }
  return Zk(ctx, args[0]).Run(std::vector<std::string>(args.begin() + 1, args.end()));
}

}  // namespace dcos::cli
