#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/log/log.h"

namespace dcos::log {
namespace {

// Captures emitted lines and restores the process-wide defaults when the test ends.
class Capture {
 public:
  Capture() {
    SetSinkForTest([this](absl::string_view line) { lines_.emplace_back(line); });
    SetLevel(Level::kInfo);
    SetFormat(Format::kText);
    SetComponent("test");
  }
  ~Capture() {
    SetSinkForTest(nullptr);
    SetLevel(Level::kInfo);
    SetFormat(Format::kText);
    SetComponent("");
  }
  const std::vector<std::string>& lines() const { return lines_; }

  // The line without its timestamp (everything after the first space).
  std::string TextTail(size_t i) const {
    const std::string& l = lines_.at(i);
    return l.substr(l.find(' ') + 1);
  }

  // The JSON line without its "ts" member.
  std::string JsonTail(size_t i) const {
    const std::string& l = lines_.at(i);
    return "{" + l.substr(l.find(",\"level\"") + 1);
  }

 private:
  std::vector<std::string> lines_;
};

TEST_CASE("ParseLevel accepts the four levels and lists them on error") {
  REQUIRE(ParseLevel("debug").value() == Level::kDebug);
  REQUIRE(ParseLevel("INFO").value() == Level::kInfo);
  REQUIRE(ParseLevel("warn").value() == Level::kWarning);
  REQUIRE(ParseLevel("warning").value() == Level::kWarning);
  REQUIRE(ParseLevel("error").value() == Level::kError);
  absl::Status bad = ParseLevel("verbose").status();
  REQUIRE(bad.code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(bad.message() ==
          "unknown log level \"verbose\"; valid levels: debug, info, warning (or warn), error");
}

TEST_CASE("ParseFormat accepts text and json") {
  REQUIRE(ParseFormat("text").value() == Format::kText);
  REQUIRE(ParseFormat("JSON").value() == Format::kJson);
  REQUIRE(ParseFormat("xml").status().message() ==
          "unknown log format \"xml\"; valid formats: text, json");
}

TEST_CASE("a line is emitted at the end of the full expression, in text format") {
  Capture c;
  Info("listening").Field("addr", "127.0.0.1:5050").Field("port", 5050);
  REQUIRE(c.lines().size() == 1);
  REQUIRE(c.TextTail(0) == "INFO test listening addr=127.0.0.1:5050 port=5050");
  const std::string& l = c.lines()[0];
  REQUIRE(l.size() > 28);
  REQUIRE(l[4] == '-');
  REQUIRE(l[10] == 'T');
  REQUIRE(l[26] == 'Z');
}

TEST_CASE("every field overload formats its value") {
  Capture c;
  std::string s = "str";
  Info("m")
      .Field("sv", absl::string_view("v w"))
      .Field("cs", "c")
      .Field("s", s)
      .Field("i", -3)
      .Field("i64", int64_t{-9000000000})
      .Field("u64", uint64_t{18446744073709551615u})
      .Field("d", 0.1)
      .Field("b", true)
      .Field("ok", absl::OkStatus())
      .Field("err", absl::NotFoundError("no znode /a"))
      .Field("dur", absl::Milliseconds(1500))
      .Field("empty", "");
  REQUIRE(c.TextTail(0) ==
          "INFO test m sv=\"v w\" cs=c s=str i=-3 i64=-9000000000 u64=18446744073709551615 "
          "d=0.1 b=true ok=OK err=\"NOT_FOUND: no znode /a\" dur=1.5s empty=\"\"");
}

TEST_CASE("json format: numbers and bools bare, strings escaped, non-finite as strings") {
  Capture c;
  SetFormat(Format::kJson);
  SetComponent("dcos-master");
  Warn("odd \"input\"")
      .Field("port", 5050)
      .Field("ratio", 2.5)
      .Field("up", false)
      .Field("inf", std::numeric_limits<double>::infinity())
      .Field("nan", std::nan(""))
      .Field("path", "C:\\x\n");
  REQUIRE(c.JsonTail(0) ==
          "{\"level\":\"warning\",\"component\":\"dcos-master\",\"msg\":\"odd \\\"input\\\"\","
          "\"port\":5050,\"ratio\":2.5,\"up\":false,\"inf\":\"inf\",\"nan\":\"nan\","
          "\"path\":\"C:\\\\x\\n\"}");
  REQUIRE(absl::StartsWith(c.lines()[0], "{\"ts\":\"20"));
}

TEST_CASE("records below the level are dropped") {
  Capture c;
  Debug("hidden").Field("k", 1);
  Info("shown");
  SetLevel(Level::kError);
  Info("hidden");
  Warn("hidden");
  Error("shown too");
  SetLevel(Level::kDebug);
  REQUIRE(GetLevel() == Level::kDebug);
  Debug("now shown");
  REQUIRE(c.lines().size() == 3);
  REQUIRE(c.TextTail(0) == "INFO test shown");
  REQUIRE(c.TextTail(1) == "ERROR test shown too");
  REQUIRE(c.TextTail(2) == "DEBUG test now shown");
  REQUIRE(IsEnabled(Level::kDebug));
}

TEST_CASE("many threads logging at once produce whole lines") {
  Capture c;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kPerThread; ++i) {
        Info("tick").Field("thread", t).Field("i", i).Field("pad", std::string(100, 'x'));
      }
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE(c.lines().size() == kThreads * kPerThread);
  std::vector<int> next(kThreads, 0);
  for (size_t n = 0; n < c.lines().size(); ++n) {
    std::string tail = c.TextTail(n);
    std::vector<std::string> parts = absl::StrSplit(tail, ' ');
    REQUIRE(parts.size() == 6);
    int t = std::stoi(parts[3].substr(7));
    int i = std::stoi(parts[4].substr(2));
    REQUIRE(i == next[t]);  // each thread's records arrive whole and in order
    ++next[t];
    REQUIRE(parts[5] == "pad=" + std::string(100, 'x'));
  }
}

TEST_CASE("without a sink each record goes to stderr as one newline-terminated write") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  int saved = ::dup(STDERR_FILENO);
  ::dup2(fds[1], STDERR_FILENO);
  SetSinkForTest(nullptr);
  SetComponent("");
  Info("to stderr").Field("k", "v");
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(fds[1]);
  char buf[256];
  ssize_t n = ::read(fds[0], buf, sizeof(buf));
  ::close(fds[0]);
  REQUIRE(n > 0);
  std::string got(buf, static_cast<size_t>(n));
  REQUIRE(absl::EndsWith(got, " INFO to stderr k=v\n"));
  REQUIRE(got.find('\n') == got.size() - 1);
}

}  // namespace
}  // namespace dcos::log
