#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "libs/config/command_line.h"
#include "libs/config/test_util.h"

namespace dcos::config {
namespace {

using testing::MasterConfig;
using testing::TempPath;

// Owns argv storage for one ParseCommandLine call.
absl::Status Parse(Schema& schema, std::vector<std::string> args, bool* help) {
  args.insert(args.begin(), "dcos-master");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return ParseCommandLine(static_cast<int>(args.size()), argv.data(), schema, help);
}

std::string WriteFile(const std::string& name, const std::string& text) {
  std::string path = TempPath(name);
  std::ofstream(path) << text;
  return path;
}

TEST_CASE("no arguments keeps the defaults") {
  Schema s;
  MasterConfig c(s);
  bool help = true;
  REQUIRE(Parse(s, {}, &help).ok());
  REQUIRE_FALSE(help);
  REQUIRE(c.port == 5050);
}

TEST_CASE("the config file is loaded first, then flags in order, wherever --config appears") {
  std::string path = WriteFile("cl1.yaml", "grpc: {port: 1000, listen: \"f:1\"}\nworkers: 2\n");
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--grpc.port=3000", "--config=" + path, "--workers", "9"},
        std::vector<std::string>{"--grpc.port", "2000", "--config", path, "--grpc.port=3000",
                                 "--workers=9"}}) {
    Schema s;
    MasterConfig c(s);
    bool help = false;
    REQUIRE(Parse(s, args, &help).ok());
    REQUIRE(c.port == 3000);
    REQUIRE(c.listen == "f:1");
    REQUIRE(c.workers == 9);
  }
}

TEST_CASE("several --config files load in order") {
  std::string a = WriteFile("cl_a.yaml", "workers: 2\ngrpc: {port: 1}\n");
  std::string b = WriteFile("cl_b.yaml", "workers: 3\n");
  Schema s;
  MasterConfig c(s);
  bool help = false;
  REQUIRE(Parse(s, {"--config", a, "--config=" + b}, &help).ok());
  REQUIRE(c.workers == 3);
  REQUIRE(c.port == 1);
}

TEST_CASE("a bool flag alone means true; other forms take values") {
  Schema s;
  MasterConfig c(s);
  bool help = false;
  REQUIRE(Parse(s, {"--tls.enabled", "--grpc.timeout", "2s", "--peers=x:1,y:2",
                    "--workers", "-3"},
                &help)
              .ok());
  REQUIRE(c.tls);
  REQUIRE(c.timeout == absl::Seconds(2));
  REQUIRE(c.peers == std::vector<std::string>{"x:1", "y:2"});
  REQUIRE(c.workers == -3);
  REQUIRE(Parse(s, {"--tls.enabled=false"}, &help).ok());
  REQUIRE_FALSE(c.tls);
}

TEST_CASE("--help and -h stop before anything is loaded") {
  for (const char* flag : {"--help", "-h"}) {
    Schema s;
    MasterConfig c(s);
    bool help = false;
    REQUIRE(Parse(s, {"--grpc.port=1", "--config=/nonexistent.yaml", flag, "junk"}, &help).ok());
    REQUIRE(help);
    REQUIRE(c.port == 5050);
  }
}

TEST_CASE("command-line errors") {
  Schema s;
  MasterConfig c(s);
  bool help = false;
  auto err = [&](std::vector<std::string> args) {
    return std::string(Parse(s, std::move(args), &help).message());
  };
  REQUIRE(err({"serve"}) == "unexpected argument \"serve\"; flags are written --name=value");
  REQUIRE(err({"--", "x"}) == "unexpected argument \"--\"; flags are written --name=value");
  REQUIRE(err({"-p", "1"}) == "unknown flag \"-p\"; flags are written --name=value");
  REQUIRE(err({"--grpc.port=abc"}) ==
          "flag --grpc.port: field \"grpc.port\": expected an integer, got \"abc\"");
  REQUIRE(err({"--grpc.port"}) ==
          "flag --grpc.port: field \"grpc.port\": expected a value (--grpc.port=VALUE)");
  REQUIRE(err({"--grpc.port", "--workers=1"}) ==
          "flag --grpc.port: field \"grpc.port\": expected a value (--grpc.port=VALUE)");
  REQUIRE(err({"--grpc.lisen=x"}) ==
          "flag --grpc.lisen: unknown field \"grpc.lisen\" (did you mean \"grpc.listen\"?)");
  REQUIRE(err({"--tls.enabled", "false"}) ==
          "unexpected argument \"false\"; flags are written --name=value");
  REQUIRE(err({"--config"}) == "flag --config: expected a file name");
  REQUIRE(err({"--config=/nonexistent/x.yaml"}) ==
          "config /nonexistent/x.yaml: cannot read file: No such file or directory");
  REQUIRE(c.port == 5050);
}

TEST_CASE("a bad command line changes nothing, even after a good file") {
  std::string path = WriteFile("cl2.yaml", "grpc: {port: 1000}\n");
  Schema s;
  MasterConfig c(s);
  bool help = false;
  absl::Status st = Parse(s, {"--config=" + path, "--workers=2", "--log.level=loud"}, &help);
  REQUIRE(std::string(st.message()) ==
          "flag --log.level: field \"log.level\": \"loud\" is not one of: debug, info, warning, "
          "error");
  REQUIRE(c.port == 5050);
  REQUIRE(c.workers == 4);
}

TEST_CASE("Validate runs on the parsed result before anything is written") {
  Schema s;
  std::string cert;
  int64_t port = 5050;
  s.String("tls.cert_file", &cert, "").Required();
  s.Int("port", &port, "");
  bool help = false;
  absl::Status st = Parse(s, {"--port=1"}, &help);
  REQUIRE(std::string(st.message()) ==
          "field \"tls.cert_file\" is required: set it in the config file or with "
          "--tls.cert_file");
  REQUIRE(port == 5050);
  REQUIRE(Parse(s, {"--port=1", "--tls.cert_file=c.pem"}, &help).ok());
  REQUIRE(port == 1);
  REQUIRE(cert == "c.pem");
}

}  // namespace
}  // namespace dcos::config
