// The dcos CLI without a cluster: global flags, dispatch, usage errors (exit 2, help on
// stderr), the -e refusal, and the Stat format. The commands against a real ensemble are in
// tests/zk/dcos_zk_cli_test.cc.

#include "tools/dcos/cli.h"

#include <sstream>

#include <catch2/catch.hpp>

#include "tools/dcos/context.h"
#include "tools/dcos/zk_commands.h"

namespace dcos::cli {
namespace {

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result Dcos(std::vector<std::string> args, const char* env_zk = nullptr) {
  std::ostringstream out, err;
  int code = Run(
      args,
      [env_zk](const char* name) { return std::string(name) == "DCOS_ZK" ? env_zk : nullptr; },
      out, err);
  return {code, out.str(), err.str()};
}

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST_CASE("dcos: help and usage errors") {
  Result help = Dcos({"--help"});
  CHECK(help.code == kExitOk);
  CHECK(Contains(help.out, "zk\t"));
  CHECK(help.err.empty());

  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{}, {"nope"}, {"--bogus", "zk"}, {"--zk"},
                                             {"--timeout=soon", "zk", "sync"}, {"--zk=,", "zk"}}) {
    Result r = Dcos(args);
    INFO(r.err);
    CHECK(r.code == kExitUsage);
    CHECK(Contains(r.err, "Usage: dcos"));
    CHECK(r.out.empty());
  }
}

TEST_CASE("dcos zk: help and usage errors never connect") {
  // Nothing listens on port 1: reaching the network would be exit 1, not 2.
  const std::string zk = "--zk=127.0.0.1:1";
  CHECK(Dcos({zk, "zk", "--help"}).code == kExitOk);
  CHECK(Contains(Dcos({zk, "zk", "help"}).out, "create [-s] [-c]"));
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"zk"},
           {"zk", "frob"},
           {"zk", "ls"},
           {"zk", "ls", "/a", "/b"},
           {"zk", "get"},
           {"zk", "set", "/a"},
           {"zk", "set", "-v", "x", "/a", "d"},
           {"zk", "set", "-v", "-3", "/a", "d"},
           {"zk", "set", "/a", "d", "-v"},
           {"zk", "delete", "-v"},
           {"zk", "delete", "-x", "/a"},
           {"zk", "create"},
           {"zk", "create", "-q", "/a"},
           {"zk", "create", "-s", "-c", "/a"},
           {"zk", "create", "-sc", "/a"},
           {"zk", "sync", "/"},
       }) {
    std::vector<std::string> full = {zk};
    full.insert(full.end(), args.begin(), args.end());
    Result r = Dcos(full);
    INFO((args.size() > 1 ? args[1] : std::string("-")));
    INFO(r.err);
    CHECK(r.code == kExitUsage);
    CHECK(Contains(r.err, "Usage: dcos zk"));
  }
}

TEST_CASE("dcos zk: -e is refused clearly") {
  Result r = Dcos({"--zk=127.0.0.1:1", "zk", "create", "-e", "/a"});
  CHECK(r.code == kExitError);
  CHECK(Contains(r.err, "nothing would remain"));
}

TEST_CASE("dcos zk restore: one member, one readable file, checked before connecting") {
  const std::string one = "--zk=127.0.0.1:1";
  CHECK(Dcos({one, "zk", "restore"}).code == kExitUsage);
  CHECK(Dcos({one, "zk", "restore", "a", "b"}).code == kExitUsage);
  Result two = Dcos({"--zk=127.0.0.1:1,127.0.0.1:2", "zk", "restore", "f"});
  CHECK(two.code == kExitUsage);
  CHECK(Contains(two.err, "exactly one member"));
  Result missing = Dcos({one, "zk", "restore", "/nonexistent/backup"});
  CHECK(missing.code == kExitError);
  CHECK(Contains(missing.err, "cannot read /nonexistent/backup"));
}

TEST_CASE("dcos zk: where the ensemble comes from") {
  // $DCOS_ZK is used when --zk is absent; --zk wins over it.
  Result env = Dcos({"zk", "sync"}, "bad-address");
  CHECK(env.code == kExitUsage);
  CHECK(Contains(env.err, "bad-address"));
  Result flag = Dcos({"--zk=also-bad", "zk", "sync"}, "bad-address");
  CHECK(Contains(flag.err, "also-bad"));
  // Nobody there: CONNECTION_LOSS, exit 1, within the --timeout.
  Result down = Dcos({"--timeout=0s", "zk", "sync"}, "127.0.0.1:1");
  CHECK(down.code == kExitError);
  CHECK(Contains(down.err, "dcos zk sync: CONNECTION_LOSS"));
}

TEST_CASE("dcos zk: Stat is printed field by field like zkCli") {
  zk::v1::Stat stat;
  stat.set_czxid(26);
  stat.set_mzxid(27);
  stat.set_pzxid(255);
  stat.mutable_ctime()->set_seconds(1764107763);  // 2025-11-25T21:56:03Z
  stat.mutable_mtime()->set_seconds(1764107764);
  stat.set_cversion(2);
  stat.set_version(3);
  stat.set_data_length(5);
  stat.set_num_children(1);
  std::ostringstream out;
  PrintStat(stat, out);
  CHECK(out.str() ==
        "cZxid = 0x1a\n"
        "ctime = Tue Nov 25 21:56:03 UTC 2025\n"
        "mZxid = 0x1b\n"
        "mtime = Tue Nov 25 21:56:04 UTC 2025\n"
        "pZxid = 0xff\n"
        "cversion = 2\n"
        "dataVersion = 3\n"
        "aclVersion = 0\n"
        "ephemeralOwner = 0x0\n"
        "dataLength = 5\n"
        "numChildren = 1\n");
}

}  // namespace
}  // namespace dcos::cli
