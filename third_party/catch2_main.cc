// Catch2's main(), compiled once for every test binary, plus a listener that prints one
// machine-readable line per run so tools/dev can count test cases, not just test binaries:
//   DCOS-TEST-COUNTS passed=<n> failed=<n>
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <cstdio>

namespace {

class CountingListener : public Catch::TestEventListenerBase {
 public:
  using TestEventListenerBase::TestEventListenerBase;

  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    if (stats.totals.assertions.failed > 0 || stats.totals.testCases.failed > 0) {
      ++failed_;
    } else {
      ++passed_;
    }
  }

  void testRunEnded(const Catch::TestRunStats&) override {
    std::printf("DCOS-TEST-COUNTS passed=%d failed=%d\n", passed_, failed_);
    std::fflush(stdout);
  }

 private:
  int passed_ = 0;
  int failed_ = 0;
};

}  // namespace

CATCH_REGISTER_LISTENER(CountingListener)
