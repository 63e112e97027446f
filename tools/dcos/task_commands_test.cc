// `dcos task run` argument parsing and usage errors (no cluster needed). The command against a
// real master and agent is in tests/agent/dcos_task_cli_test.cc.

#include "tools/dcos/task_commands.h"

#include <sstream>

#include <catch2/catch.hpp>

namespace dcos::cli {
namespace {

auto NoEnv = [](const char*) -> const char* { return nullptr; };

TEST_CASE("dcos task run: flags, the command after --, the master", "[task]") {
  auto o = ParseTaskRun({"--cpus=0.5", "--mem", "64", "--name=web", "--env", "A=1", "--env=B=x=y",
                         "--", "echo", "hello", "world"},
                        NoEnv);
  REQUIRE(o.ok());
  CHECK(o->cpus == 0.5);
  CHECK(o->mem == 64);
  CHECK(o->name == "web");
  CHECK(o->env == std::vector<std::pair<std::string, std::string>>{{"A", "1"}, {"B", "x=y"}});
  CHECK(o->command == "echo hello world");
  CHECK(o->master == kDefaultMaster);

  auto env = [](const char* name) -> const char* {
    return std::string(name) == "DCOS_MASTER" ? "10.0.0.1:5050" : nullptr;
  };
  CHECK(ParseTaskRun({"--", "true"}, env)->master == "10.0.0.1:5050");
  CHECK(ParseTaskRun({"--master=h:1", "--", "true"}, env)->master == "h:1");
  CHECK(ParseTaskRun({"--", "true"}, NoEnv)->cpus == 0.1);
}

TEST_CASE("dcos task run: --uri with its modifiers", "[task]") {
  auto o = ParseTaskRun({"--uri=http://h/app.tgz", "--uri", "/srv/run.sh;executable;no-extract",
                         "--uri=http://h/x;output=bin/y", "--", "./run.sh"},
                        NoEnv);
  REQUIRE(o.ok());
  REQUIRE(o->uris.size() == 3);
  CHECK(o->uris[0].value() == "http://h/app.tgz");
  CHECK_FALSE(o->uris[0].executable());
  CHECK_FALSE(o->uris[0].has_extract());
  CHECK(o->uris[1].value() == "/srv/run.sh");
  CHECK(o->uris[1].executable());
  CHECK(o->uris[1].has_extract());
  CHECK_FALSE(o->uris[1].extract());
  CHECK(o->uris[2].output_file() == "bin/y");
  CHECK(ParseTaskRun({"--uri=http://h/x;bogus", "--", "true"}, NoEnv).status().message() ==
        "--uri: \"bogus\" is not executable, no-extract or output=NAME");
  CHECK(ParseTaskRun({"--uri=", "--", "true"}, NoEnv).status().message() == "--uri: needs a URI");
}

TEST_CASE("dcos task run: bad input names the flag", "[task]") {
  CHECK(ParseTaskRun({"--cpus=x", "--", "true"}, NoEnv).status().message() ==
        "--cpus: \"x\" is not a positive number");
  CHECK(ParseTaskRun({"--mem=-1", "--", "true"}, NoEnv).status().message() ==
        "--mem: \"-1\" is not a positive number");
  CHECK(ParseTaskRun({"--mem"}, NoEnv).status().message() == "--mem: needs a value");
  CHECK(ParseTaskRun({"--env=NOVALUE", "--", "true"}, NoEnv).status().message() ==
        "--env: \"NOVALUE\" is not NAME=VALUE");
  CHECK(ParseTaskRun({"--name=a/b", "--", "true"}, NoEnv).status().message().find("--name:") == 0);
  CHECK(ParseTaskRun({"echo", "hi"}, NoEnv).status().message() ==
        "unknown flag \"echo\" (put -- before the command)");
  CHECK(ParseTaskRun({"--cpus=1"}, NoEnv).status().message().find("no command given") == 0);
  CHECK(ParseTaskRun({"--"}, NoEnv).status().message().find("no command given") == 0);
}

TEST_CASE("dcos task: help and unknown subcommands", "[task]") {
  std::ostringstream out, err;
  Context ctx;
  ctx.out = &out;
  ctx.err = &err;
  CHECK(RunTaskGroup(ctx, {}) == kExitUsage);
  CHECK(err.str().find("Usage: dcos task") == 0);
  err.str("");
  CHECK(RunTaskGroup(ctx, {"frobnicate"}) == kExitUsage);
  CHECK(err.str().find("unknown subcommand \"frobnicate\"") != std::string::npos);
  CHECK(RunTaskGroup(ctx, {"run", "--cpus=zero", "--", "true"}) == kExitUsage);
  CHECK(RunTaskGroup(ctx, {"--help"}) == kExitOk);
}

}  // namespace
}  // namespace dcos::cli
