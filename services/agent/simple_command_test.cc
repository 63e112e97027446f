#include "services/agent/simple_command.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace dcos::agent::supervisor {
namespace {

// The words, or {"<shell>"} when the shell must run the command.
std::vector<std::string> Split(const std::string& command) {
  char buf[256];
  char* words[9];
  if (!SplitSimpleCommand(command.c_str(), buf, sizeof(buf), words, 8)) return {"<shell>"};
  std::vector<std::string> out;
  for (char** w = words; *w != nullptr; ++w) out.emplace_back(*w);
  return out;
}

TEST_CASE("plain commands are exec'd word by word") {
  CHECK(Split("sleep 3600") == std::vector<std::string>{"sleep", "3600"});
  CHECK(Split("  /usr/bin/python3   -m http.server 8080 ") ==
        std::vector<std::string>{"/usr/bin/python3", "-m", "http.server", "8080"});
  CHECK(Split("./run.sh --port=31000 a,b:c+d@e%f") ==
        std::vector<std::string>{"./run.sh", "--port=31000", "a,b:c+d@e%f"});
}

TEST_CASE("anything with shell syntax goes to the shell") {
  for (const char* c :
       {"echo $HOME", "sleep 1; true", "a | b", "a && b", "a > f", "a < f", "a 'b c'", "a \"b\"",
        "a \\b", "ls *.txt", "ls file?", "ls [ab]", "cd ~", "a # comment", "(a)", "{ a; }",
        "a &", "`a`", "a\tb", "a\nb", "FOO=bar cmd", "exit 3", "true", "echo hi", "cd /tmp",
        "export X", "if", "test -f x", ". ./env", "", "   "}) {
    INFO(c);
    CHECK(Split(c) == std::vector<std::string>{"<shell>"});
  }
}

TEST_CASE("too long or too many words goes to the shell") {
  CHECK(Split(std::string(300, 'a')) == std::vector<std::string>{"<shell>"});
  CHECK(Split("a b c d e f g h") == std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g", "h"});
  CHECK(Split("a b c d e f g h i") == std::vector<std::string>{"<shell>"});
}

}  // namespace
}  // namespace dcos::agent::supervisor
