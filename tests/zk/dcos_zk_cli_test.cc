// `dcos zk` against three real dcos-zk processes: the real binary run as a process (exit codes
// and output), the same commands in-process (stdout and stderr apart), and a command after
// kill -9 of a member.

#include <signal.h>

#include <sstream>

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/testing/harness.h"
#include "libs/testing/process.h"
#include "tests/zk/zk_ensemble.h"
#include "tools/dcos/cli.h"

namespace dcos::testing {
namespace {

struct Ran {
  int code;
  std::string output;  // stdout and stderr together
};

// Runs the dcos binary with `args`; `env` ("NAME=value" entries) through /usr/bin/env.
Ran RunBinary(const ZkTestEnsemble& e, std::vector<std::string> args,
              std::vector<std::string> env = {}) {
  static int runs = 0;
  std::string binary = Runfile("tools/dcos/dcos");
  if (!env.empty()) {
    env.push_back(binary);
    args.insert(args.begin(), env.begin(), env.end());
    binary = "/usr/bin/env";
  }
  auto p = TestProcess::Start({absl::StrCat("dcos-", ++runs), binary, args, e.dir()});
  REQUIRE(p.ok());
  absl::StatusOr<int> code = (*p)->WaitExit(absl::Seconds(60));
  REQUIRE(code.ok());
  return {*code, (*p)->Log()};
}

// `dcos --zk=<the ensemble> zk <args>` as a process.
Ran Zk(const ZkTestEnsemble& e, std::vector<std::string> args) {
  args.insert(args.begin(), {"--zk=" + e.Joined(), "zk"});
  return RunBinary(e, args);
}

TEST_CASE("dcos zk: the binary against a real ensemble") {
  ZkTestEnsemble e;
  REQUIRE(e.StartAll().ok());

  Ran r = Zk(e, {"create", "/app", "hello"});
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(absl::StrContains(r.output, "Created /app"));
  CHECK(Zk(e, {"get", "/app"}).output == "hello\n");

  r = Zk(e, {"stat", "/app"});
  CHECK(r.code == 0);
  std::vector<std::string> lines = absl::StrSplit(r.output, '\n', absl::SkipEmpty());
  REQUIRE(lines.size() == 11);
  const char* names[] = {"cZxid",      "ctime",       "mZxid",          "mtime",
                         "pZxid",      "cversion",    "dataVersion",    "aclVersion",
                         "ephemeralOwner", "dataLength", "numChildren"};
  for (size_t i = 0; i < 11; ++i) CHECK(absl::StartsWith(lines[i], absl::StrCat(names[i], " = ")));
  CHECK(absl::StartsWith(lines[0], "cZxid = 0x"));
  CHECK(absl::StrContains(lines[1], " UTC "));
  CHECK(lines[6] == "dataVersion = 0");
  CHECK(lines[9] == "dataLength = 5");

  CHECK(Zk(e, {"set", "/app", "v2"}).code == 0);
  r = Zk(e, {"set", "-v", "0", "/app", "v3"});
  CHECK(r.code == 1);
  CHECK(absl::StrContains(r.output, "dcos zk set: BAD_VERSION"));
  CHECK(Zk(e, {"set", "-v", "1", "/app", "v3"}).code == 0);
  CHECK(Zk(e, {"get", "/app"}).output == "v3\n");

  CHECK(Zk(e, {"create", "-s", "/app/s-"}).output == "Created /app/s-0000000000\n");
  CHECK(Zk(e, {"create", "-c", "/box"}).code == 0);
  CHECK(Zk(e, {"ls", "/app"}).output == "[s-0000000000]\n");
  r = Zk(e, {"ls", "/"});
  CHECK(absl::StrContains(r.output, "app"));
  CHECK(absl::StrContains(r.output, "box"));

  r = Zk(e, {"delete", "/app"});
  CHECK(r.code == 1);
  CHECK(absl::StrContains(r.output, "NOT_EMPTY"));
  CHECK(Zk(e, {"delete", "-v", "0", "/app/s-0000000000"}).code == 0);
  CHECK(Zk(e, {"delete", "/app"}).code == 0);
  r = Zk(e, {"get", "/app"});
  CHECK(r.code == 1);
  CHECK(absl::StrContains(r.output, "dcos zk get: NO_NODE /app"));
  r = Zk(e, {"create", "/app", "x"});
  CHECK(r.code == 0);
  r = Zk(e, {"create", "/app", "x"});
  CHECK(r.code == 1);
  CHECK(absl::StrContains(r.output, "NODE_EXISTS"));
  r = Zk(e, {"create", "bad-path"});
  CHECK(r.code == 1);
  CHECK(absl::StrContains(r.output, "BAD_ARGUMENTS"));

  CHECK(Zk(e, {"sync"}).output == "Sync is OK\n");
  r = Zk(e, {"create", "-e", "/eph"});
  CHECK(r.code == 1);
  CHECK(absl::StrContains(r.output, "nothing would remain"));
  r = Zk(e, {"frobnicate"});
  CHECK(r.code == 2);
  CHECK(absl::StrContains(r.output, "Usage: dcos zk"));
  CHECK(RunBinary(e, {}).code == 2);

  // $DCOS_ZK names the ensemble when --zk is absent.
  r = RunBinary(e, {"zk", "get", "/app"}, {"DCOS_ZK=" + e.Joined()});
  CHECK(r.code == 0);
  CHECK(r.output == "x\n");
}

TEST_CASE("dcos zk: results on stdout, errors on stderr (in-process)") {
  ZkTestEnsemble e;
  REQUIRE(e.StartAll().ok());
  auto run = [&](std::vector<std::string> args, std::string* out, std::string* err) {
    std::ostringstream o, r;
    args.insert(args.begin(), {"--zk=" + e.Joined(), "zk"});
    int code = cli::Run(args, [](const char*) -> const char* { return nullptr; }, o, r);
    *out = o.str();
    *err = r.str();
    return code;
  };
  std::string out, err;
  CHECK(run({"create", "/a", "1"}, &out, &err) == 0);
  CHECK(out == "Created /a\n");
  CHECK(err.empty());
  CHECK(run({"get", "/missing"}, &out, &err) == 1);
  CHECK(out.empty());
  CHECK(absl::StartsWith(err, "dcos zk get: NO_NODE /missing"));
  CHECK(run({"stat", "/missing"}, &out, &err) == 1);
  CHECK(out.empty());
  CHECK(absl::StartsWith(err, "dcos zk stat: NO_NODE /missing"));
  CHECK(run({"ls", "/"}, &out, &err) == 0);
  CHECK(absl::StrContains(out, "a"));
  CHECK(err.empty());
}

// True if `log` holds `lines` as whole lines, in that order (others may come between).
bool HasLinesInOrder(const std::string& log, const std::vector<std::string>& lines) {
  std::vector<std::string> all = absl::StrSplit(log, '\n');
  size_t next = 0;
  for (const std::string& l : all) {
    if (next < lines.size() && l == lines[next]) ++next;
  }
  return next == lines.size();
}

TEST_CASE("dcos zk watch: prints every change until interrupted (SIGINT), data and children") {
  ZkTestEnsemble e;
  REQUIRE(e.StartAll().ok());
  auto zk = [&](std::vector<std::string> args) {
    std::ostringstream o, r;
    args.insert(args.begin(), {"--zk=" + e.Joined(), "zk"});
    return cli::Run(args, [](const char*) -> const char* { return nullptr; }, o, r);
  };
  auto start = [&](const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), {"--zk=" + e.Joined(), "zk", "watch"});
    auto p = TestProcess::Start({name, Runfile("tools/dcos/dcos"), args, e.dir()});
    REQUIRE(p.ok());
    return std::move(*p);
  };
  auto wait_lines = [&](TestProcess& p, std::vector<std::string> lines) {
    absl::Status s = WaitFor([&] { return HasLinesInOrder(p.Log(), lines); }, absl::Seconds(20),
                             "watch output: " + absl::StrJoin(lines, " | "));
    INFO(p.Log());
    REQUIRE(s.ok());
  };

  auto data = start("watch-data", {"/w"});
  wait_lines(*data, {"no node"});
  REQUIRE(zk({"create", "/w", "v1"}) == 0);
  wait_lines(*data, {"no node", "NodeCreated /w", "data: v1"});
  REQUIRE(zk({"set", "/w", "v2"}) == 0);
  wait_lines(*data, {"NodeCreated /w", "data: v1", "NodeDataChanged /w", "data: v2"});
  REQUIRE(zk({"delete", "/w"}) == 0);
  wait_lines(*data, {"data: v2", "NodeDeleted /w", "no node"});

  REQUIRE(zk({"create", "/p", ""}) == 0);
  auto kids = start("watch-children", {"--children", "/p"});
  wait_lines(*kids, {"children: []"});
  REQUIRE(zk({"create", "/p/a", ""}) == 0);
  REQUIRE(zk({"create", "/p/b", ""}) == 0);
  wait_lines(*kids, {"children: []", "NodeChildrenChanged /p", "children: [a, b]"});

  for (TestProcess* p : {data.get(), kids.get()}) {
    p->Signal(SIGINT);
    absl::StatusOr<int> code = p->WaitExit(absl::Seconds(10));
    REQUIRE(code.ok());
    CHECK(*code == 0);
  }
  // Usage: one path.
  std::ostringstream o, r;
  CHECK(cli::Run({"--zk=" + e.Joined(), "zk", "watch"},
                 [](const char*) -> const char* { return nullptr; }, o, r) == 2);
}

TEST_CASE("dcos zk: works with a member down") {
  ZkTestEnsemble e;
  REQUIRE(e.StartAll().ok());
  REQUIRE(Zk(e, {"create", "/before", "1"}).code == 0);
  for (int down = 1; down <= 3; ++down) {
    REQUIRE(e.Kill(down).ok());
    Ran r = Zk(e, {"create", absl::StrCat("/down-", down), "x"});
    INFO(r.output);
    CHECK(r.code == 0);
    CHECK(Zk(e, {"get", "/before"}).output == "1\n");
    REQUIRE(e.Start(down).ok());
    REQUIRE(WaitServing(e.address(down), grpc::InsecureChannelCredentials(), absl::Seconds(30))
                .ok());
  }
}

}  // namespace
}  // namespace dcos::testing
