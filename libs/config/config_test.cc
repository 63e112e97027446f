#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "libs/config/test_util.h"

namespace dcos::config {
namespace {

using testing::MasterConfig;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TEST_CASE("a YAML file sets every type through nested maps") {
  Schema s;
  MasterConfig c(s);
  REQUIRE(s.LoadYamlString(R"(
grpc:
  listen: "10.0.0.1:6060"
  port: 6060
  timeout: 1m30s
trace:
  sample: 0.25
tls:
  enabled: true
  cert_file: /etc/dcos/cert.pem
peers: [x:1, "y:2", z:3]
log: {level: debug}
workers: -2
)",
                           "x.yaml")
              .ok());
  REQUIRE(c.listen == "10.0.0.1:6060");
  REQUIRE(c.port == 6060);
  REQUIRE(c.timeout == absl::Seconds(90));
  REQUIRE(c.sample == 0.25);
  REQUIRE(c.tls);
  REQUIRE(c.cert == "/etc/dcos/cert.pem");
  REQUIRE(c.peers == std::vector<std::string>{"x:1", "y:2", "z:3"});
  REQUIRE(c.level == "debug");
  REQUIRE(c.workers == -2);
}

TEST_CASE("dotted keys at top level, partial files and empty files") {
  Schema s;
  MasterConfig c(s);
  REQUIRE(s.LoadYamlString("grpc.port: 7070\ntls:\n  enabled: yes\n", "x.yaml").ok());
  REQUIRE(c.port == 7070);
  REQUIRE(c.tls);
  REQUIRE(c.listen == "0.0.0.0:5050");  // untouched default
  REQUIRE(s.LoadYamlString("", "empty.yaml").ok());
  REQUIRE(s.LoadYamlString("# only a comment\n", "c.yaml").ok());
  REQUIRE(s.LoadYamlString("grpc:\n", "c.yaml").ok());  // an empty section
  REQUIRE(c.port == 7070);
  REQUIRE(s.LoadYamlString("peers: []\ntrace: {sample: 1}\n", "x.yaml").ok());
  REQUIRE(c.peers.empty());
  REQUIRE(c.sample == 1.0);
}

TEST_CASE("error messages name the source and the field") {
  Schema s;
  MasterConfig c(s);
  auto load = [&](const std::string& yaml) {
    return Message(s.LoadYamlString(yaml, "/etc/dcos/master.yaml"));
  };
  REQUIRE(load("grpc: {port: 70000}") ==
          "config /etc/dcos/master.yaml: field \"grpc.port\": 70000 is out of range [1, 65535]");
  REQUIRE(load("grpc: {lisen: x}") ==
          "config /etc/dcos/master.yaml: unknown field \"grpc.lisen\" "
          "(did you mean \"grpc.listen\"?)");
  REQUIRE(load("nothing_like_it: 1") ==
          "config /etc/dcos/master.yaml: unknown field \"nothing_like_it\"");
  REQUIRE(load("tls: {cert_file: {a: 1}}") ==
          "config /etc/dcos/master.yaml: field \"tls.cert_file\": expected a string, got a map");
  REQUIRE(load("tls: {cert_file: [a]}") ==
          "config /etc/dcos/master.yaml: field \"tls.cert_file\": expected a string, got a "
          "sequence");
  REQUIRE(load("tls: {cert_file: }") ==
          "config /etc/dcos/master.yaml: field \"tls.cert_file\": expected a string, got null "
          "(write \"\" for an empty string)");
  REQUIRE(load("grpc: {port: 1.5}") ==
          "config /etc/dcos/master.yaml: field \"grpc.port\": expected an integer, got \"1.5\"");
  REQUIRE(load("grpc: {port: \"80\"}") ==
          "config /etc/dcos/master.yaml: field \"grpc.port\": expected an integer, got the "
          "quoted string \"80\"");
  REQUIRE(load("workers: 99999999999999999999") ==
          "config /etc/dcos/master.yaml: field \"workers\": integer 99999999999999999999 is out "
          "of the 64-bit range");
  REQUIRE(load("trace: {sample: 2}") ==
          "config /etc/dcos/master.yaml: field \"trace.sample\": 2 is out of range [0, 1]");
  REQUIRE(load("trace: {sample: .nan}") ==
          "config /etc/dcos/master.yaml: field \"trace.sample\": expected a number, got \".nan\"");
  REQUIRE(load("tls: {enabled: 1}") ==
          "config /etc/dcos/master.yaml: field \"tls.enabled\": expected a boolean (true or "
          "false), got \"1\"");
  REQUIRE(load("grpc: {timeout: 10}") ==
          "config /etc/dcos/master.yaml: field \"grpc.timeout\": duration \"10\" has no unit; "
          "write e.g. \"10s\" or \"10ms\"");
  REQUIRE(load("grpc: {timeout: soon}") ==
          "config /etc/dcos/master.yaml: field \"grpc.timeout\": expected a duration such as "
          "\"10s\", \"500ms\" or \"1m30s\", got \"soon\"");
  REQUIRE(load("grpc: {timeout: 2h}") ==
          "config /etc/dcos/master.yaml: field \"grpc.timeout\": 2h is out of range [1ms, 1h]");
  REQUIRE(load("peers: a,b") ==
          "config /etc/dcos/master.yaml: field \"peers\": expected a list of strings, got a "
          "scalar");
  REQUIRE(load("peers: [a, [b]]") ==
          "config /etc/dcos/master.yaml: field \"peers\": element 1: expected a string, got a "
          "sequence");
  REQUIRE(load("log: {level: verbose}") ==
          "config /etc/dcos/master.yaml: field \"log.level\": \"verbose\" is not one of: debug, "
          "info, warning, error");
  REQUIRE(load("grpc: {listen: localhost}") ==
          "config /etc/dcos/master.yaml: field \"grpc.listen\": \"localhost\" is not a valid "
          "host:port: missing ':port'");
  REQUIRE(load("grpc: 5") ==
          "config /etc/dcos/master.yaml: field \"grpc\": expected a map of grpc.* fields, got a "
          "scalar");
  REQUIRE(load("grpc: {port: 1}\ngrpc.port: 2") ==
          "config /etc/dcos/master.yaml: field \"grpc.port\" is set twice");
  REQUIRE(load("- a\n- b") ==
          "config /etc/dcos/master.yaml: expected a map of fields at the top level, got a "
          "sequence");
  REQUIRE(absl::StartsWith(load("grpc: {port: [1, 2}"),
                           "config /etc/dcos/master.yaml: invalid YAML at line 1, column "));
  REQUIRE(s.LoadYamlString("x: 1", "y").code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("every error in a file is reported, one per line") {
  Schema s;
  MasterConfig c(s);
  REQUIRE(Message(s.LoadYamlString("grpc: {port: 0}\nbogus: 1\n", "x.yaml")) ==
          "config x.yaml: field \"grpc.port\": 0 is out of range [1, 65535]\n"
          "config x.yaml: unknown field \"bogus\"");
}

TEST_CASE("bad input changes nothing") {
  Schema s;
  MasterConfig c(s);
  REQUIRE_FALSE(s.LoadYamlString("grpc: {port: 6000, listen: \"h:1\"}\npeers: [q]\n"
                                 "workers: nope\n",
                                 "x.yaml")
                    .ok());
  REQUIRE(c.port == 5050);
  REQUIRE(c.listen == "0.0.0.0:5050");
  REQUIRE(c.peers == std::vector<std::string>{"a:1", "b:2"});
  REQUIRE_FALSE(s.Set("grpc.port", "0", "flag --grpc.port").ok());
  REQUIRE(c.port == 5050);
}

TEST_CASE("Set parses flag syntax and names the flag in errors") {
  Schema s;
  MasterConfig c(s);
  REQUIRE(s.Set("grpc.port", "6061", "flag --grpc.port").ok());
  REQUIRE(s.Set("tls.enabled", "YES", "flag --tls.enabled").ok());
  REQUIRE(s.Set("trace.sample", "0.125", "flag --trace.sample").ok());
  REQUIRE(s.Set("grpc.timeout", "500ms", "flag --grpc.timeout").ok());
  REQUIRE(s.Set("peers", " p:1 , q:2", "flag --peers").ok());
  REQUIRE(s.Set("tls.cert_file", "", "flag --tls.cert_file").ok());
  REQUIRE(c.port == 6061);
  REQUIRE(c.tls);
  REQUIRE(c.sample == 0.125);
  REQUIRE(c.timeout == absl::Milliseconds(500));
  REQUIRE(c.peers == std::vector<std::string>{"p:1", "q:2"});
  REQUIRE(s.Set("peers", "", "flag --peers").ok());
  REQUIRE(c.peers.empty());
  REQUIRE(s.Set("tls.enabled", "0", "flag --tls.enabled").ok());
  REQUIRE_FALSE(c.tls);

  REQUIRE(Message(s.Set("grpc.port", "abc", "flag --grpc.port")) ==
          "flag --grpc.port: field \"grpc.port\": expected an integer, got \"abc\"");
  REQUIRE(Message(s.Set("grpc.port", "70000", "flag --grpc.port")) ==
          "flag --grpc.port: field \"grpc.port\": 70000 is out of range [1, 65535]");
  REQUIRE(Message(s.Set("grpc.lisen", "x", "flag --grpc.lisen")) ==
          "flag --grpc.lisen: unknown field \"grpc.lisen\" (did you mean \"grpc.listen\"?)");
  REQUIRE(Message(s.Set("tls.enabled", "maybe", "flag --tls.enabled")) ==
          "flag --tls.enabled: field \"tls.enabled\": expected a boolean (true/false, yes/no, "
          "1/0), got \"maybe\"");
  REQUIRE(Message(s.Set("grpc.timeout", "1.5", "flag --grpc.timeout")) ==
          "flag --grpc.timeout: field \"grpc.timeout\": duration \"1.5\" has no unit; write "
          "e.g. \"1.5s\" or \"1.5ms\"");
  REQUIRE(Message(s.Set("peers", "a,,b", "flag --peers")) ==
          "flag --peers: field \"peers\": empty element in list \"a,,b\"");
  REQUIRE(Message(s.Set("trace.sample", "inf", "flag --trace.sample")) ==
          "flag --trace.sample: field \"trace.sample\": expected a finite number, got \"inf\"");
}

TEST_CASE("later loads override earlier ones") {
  Schema s;
  MasterConfig c(s);
  REQUIRE(s.LoadYamlString("grpc: {port: 1000}\nworkers: 8", "a.yaml").ok());
  REQUIRE(s.LoadYamlString("grpc: {port: 2000}", "b.yaml").ok());
  REQUIRE(s.Set("grpc.port", "3000", "flag --grpc.port").ok());
  REQUIRE(c.port == 3000);
  REQUIRE(c.workers == 8);
}

TEST_CASE("Validate checks required fields and defaults, naming the value's source") {
  Schema s;
  std::string cert;
  bool flag = false;
  int64_t port = 0;
  s.String("tls.cert_file", &cert, "PEM certificate").Required();
  s.Bool("accept_eula", &flag, "must be set explicitly").Required();
  s.Int("port", &port, "port").Range(1, 65535);
  REQUIRE(Message(s.Validate()) ==
          "field \"accept_eula\" is required: set it in the config file or with --accept_eula\n"
          "field \"port\": 0 is out of range [1, 65535] (the default)\n"
          "field \"tls.cert_file\" is required: set it in the config file or with "
          "--tls.cert_file");
  REQUIRE(s.LoadYamlString("accept_eula: false\ntls: {cert_file: c.pem}\nport: 80", "x.yaml")
              .ok());
  REQUIRE(s.Validate().ok());
  port = 0;  // changed behind the schema's back: reported with the last source
  REQUIRE(Message(s.Validate()) == "config x.yaml: field \"port\": 0 is out of range [1, 65535]");
}

TEST_CASE("custom checks see the value's text") {
  Schema s;
  absl::Duration d = absl::Seconds(1);
  std::vector<std::string> zones = {"a"};
  std::string seen;
  s.Duration("d", &d, "").Check([&](absl::string_view v) {
    seen = std::string(v);
    return absl::OkStatus();
  });
  s.StringList("zones", &zones, "").OneOf({"a", "b"}).Required().Check([](absl::string_view v) {
    return v.size() > 3 ? absl::InvalidArgumentError("at most two zones") : absl::OkStatus();
  });
  REQUIRE(s.Set("d", "90s", "flag --d").ok());
  REQUIRE(seen == "1m30s");
  REQUIRE(Message(s.Set("zones", "a,c", "flag --zones")) ==
          "flag --zones: field \"zones\": \"c\" is not one of: a, b");
  REQUIRE(Message(s.Set("zones", "a,b,a", "flag --zones")) ==
          "flag --zones: field \"zones\": at most two zones");
  REQUIRE(s.Set("zones", "", "flag --zones").ok());
  REQUIRE(Message(s.Validate()) ==
          "field \"zones\" is required: set it in the config file or with --zones");
}

TEST_CASE("files are read from disk; a missing file names its path") {
  std::string path = testing::TempPath("config_test.yaml");
  {
    std::ofstream out(path);
    out << "grpc:\n  port: 4242\n";
  }
  Schema s;
  MasterConfig c(s);
  REQUIRE(s.LoadYamlFile(path).ok());
  REQUIRE(c.port == 4242);
  absl::Status missing = s.LoadYamlFile("/nonexistent/master.yaml");
  REQUIRE(missing.code() == absl::StatusCode::kNotFound);
  REQUIRE(Message(missing) ==
          "config /nonexistent/master.yaml: cannot read file: No such file or directory");
  std::remove(path.c_str());
}

TEST_CASE("help lists every field with type, default, constraints and help") {
  Schema s;
  MasterConfig c(s);
  std::string help = s.Help();
  REQUIRE(absl::StrContains(help,
                            "--grpc.port (int) default: 5050; range [1, 65535]\n    gRPC port\n"));
  REQUIRE(absl::StrContains(help, "--grpc.listen (string) default: \"0.0.0.0:5050\"; custom "
                                  "check\n    gRPC listen address\n"));
  REQUIRE(absl::StrContains(help, "--grpc.timeout (duration) default: 10s; range [1ms, 1h]\n"));
  REQUIRE(absl::StrContains(help, "--peers (string list) default: [\"a:1\", \"b:2\"]\n"));
  REQUIRE(absl::StrContains(help, "--log.level (string) default: \"info\"; one of: debug, "
                                  "info, warning, error\n"));
  REQUIRE(absl::StrContains(help, "--tls.enabled (bool) default: false\n    serve TLS\n"));
  REQUIRE(absl::StrContains(help, "--trace.sample (double) default: 0.5; range [0, 1]\n"));
  // Defaults stay the registered ones after loading.
  REQUIRE(s.Set("grpc.port", "1", "flag --grpc.port").ok());
  REQUIRE(s.Help() == help);
}

TEST_CASE("dump writes nested YAML that loads back to the same values") {
  Schema s;
  MasterConfig c(s);
  REQUIRE(s.LoadYamlString("tls: {cert_file: \"with \\\"quotes\\\" and: colon\"}\n"
                           "grpc: {timeout: 250ms}\ntrace.sample: 0.1",
                           "x.yaml")
              .ok());
  std::string dump = s.Dump();
  REQUIRE(dump ==
          "grpc:\n"
          "  listen: \"0.0.0.0:5050\"\n"
          "  port: 5050\n"
          "  timeout: 250ms\n"
          "log:\n"
          "  level: \"info\"\n"
          "peers: [\"a:1\", \"b:2\"]\n"
          "tls:\n"
          "  cert_file: \"with \\\"quotes\\\" and: colon\"\n"
          "  enabled: false\n"
          "trace:\n"
          "  sample: 0.1\n"
          "workers: 4\n");
  Schema s2;
  MasterConfig c2(s2);
  REQUIRE(s2.LoadYamlString(dump, "dump").ok());
  REQUIRE(s2.Dump() == dump);
  REQUIRE(c2.cert == c.cert);
  REQUIRE(c2.timeout == c.timeout);
}

TEST_CASE("ValidateHostPort") {
  for (const char* ok : {"127.0.0.1:5050", "localhost:0", "master.dcos:65535", "[::1]:5050",
                         "[fe80::1%eth0]:80", "[::ffff:10.0.0.1]:1"}) {
    INFO(ok);
    REQUIRE(ValidateHostPort(ok).ok());
  }
  REQUIRE(Message(ValidateHostPort("h:65536")) ==
          "\"h:65536\" is not a valid host:port: port is out of range [0, 65535]");
  REQUIRE(Message(ValidateHostPort(":80")) ==
          "\":80\" is not a valid host:port: missing host (use 0.0.0.0 for all interfaces)");
  REQUIRE(Message(ValidateHostPort("::1:80")) ==
          "\"::1:80\" is not a valid host:port: write IPv6 addresses in brackets, e.g. "
          "[::1]:5050");
  for (const char* bad : {"", "h", "h:", "h:x", "h:-1", "[::1]", "[::1:80", "[]:80", "[zz]:80",
                          "[1.2.3.4]:80", "bad host:80", "h:1234567"}) {
    INFO(bad);
    REQUIRE_FALSE(ValidateHostPort(bad).ok());
  }
}

// Runs `f` in a child process and reports whether it aborted.
template <typename F>
bool Aborts(F f) {
  pid_t pid = ::fork();
  if (pid == 0) {
    // Catch2 handles SIGABRT to report a crashed test; the child must die quietly instead.
    std::signal(SIGABRT, SIG_DFL);
    std::freopen("/dev/null", "w", stdout);
    std::freopen("/dev/null", "w", stderr);
    f();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

TEST_CASE("registration mistakes abort") {
  REQUIRE(Aborts([] {
    Schema s;
    int64_t a = 0;
    s.Int("a", &a, "");
    s.Int("a", &a, "");
  }));
  REQUIRE(Aborts([] {
    Schema s;
    int64_t a = 0;
    s.Int("grpc.port", &a, "");
    s.Int("grpc", &a, "");
  }));
  REQUIRE(Aborts([] {
    Schema s;
    int64_t a = 0;
    s.Int("grpc", &a, "");
    s.Int("grpc.port", &a, "");
  }));
  REQUIRE(Aborts([] {
    Schema s;
    std::string a;
    s.String("a", &a, "").Range(1, 2);
  }));
  REQUIRE(Aborts([] {
    Schema s;
    std::string a;
    s.String("bad..name", &a, "");
  }));
  REQUIRE(Aborts([] {
    Schema s;
    std::string a;
    s.String("config", &a, "");
  }));
  REQUIRE_FALSE(Aborts([] {
    Schema s;
    double d = 0;
    s.Double("d", &d, "").Range(0, 10);  // integer bounds are fine for a double
  }));
}

}  // namespace
}  // namespace dcos::config
