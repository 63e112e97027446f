// Sandbox garbage collection: the delay shrinking with disk usage, which run dirs are
// garbage (idle long enough, not kept), and removal of the emptied parents.

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "libs/testing/harness.h"
#include "services/agent/sandbox_gc.h"

namespace dcos::agent {
namespace {

namespace fs = std::filesystem;

void SetMTime(const std::string& path, absl::Time t) {
  timespec times[2] = {absl::ToTimespec(t), absl::ToTimespec(t)};
  REQUIRE(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

std::string MakeRun(const std::string& work, const std::string& fw, const std::string& ex,
                    const std::string& container, absl::Time mtime) {
  std::string run = work + "/agents/S1/frameworks/" + fw + "/executors/" + ex + "/runs/" + container;
  fs::create_directories(run);
  std::ofstream(run + "/stdout") << "x";
  SetMTime(run + "/stdout", mtime);
  SetMTime(run, mtime);
  return run;
}

TEST_CASE("the GC delay shrinks as the disk fills", "[gc]") {
  CHECK(AdjustedGcDelay(absl::Hours(100), 0.0, 0.1) == absl::Hours(90));
  CHECK(AdjustedGcDelay(absl::Hours(100), 0.5, 0.1) == absl::Hours(40));
  CHECK(AdjustedGcDelay(absl::Hours(100), 0.95, 0.1) == absl::ZeroDuration());
  auto usage = DiskUsage("/");
  REQUIRE(usage.ok());
  CHECK(*usage > 0);
  CHECK(*usage <= 1);
}

TEST_CASE("idle sandboxes of forgotten containers are garbage; parents go when empty", "[gc]") {
  std::string work = testing::MakeTempDir("gc");
  const absl::Time now = absl::Now();
  std::string old_run = MakeRun(work, "F1", "a", "c-old", now - absl::Hours(2));
  std::string kept = MakeRun(work, "F1", "b", "c-kept", now - absl::Hours(2));
  std::string fresh = MakeRun(work, "F1", "b", "c-fresh", now - absl::Minutes(1));
  std::string other = MakeRun(work, "F2", "x", "c-other", now - absl::Hours(3));
  // A recent write to a file inside counts as activity.
  std::string written = MakeRun(work, "F2", "y", "c-written", now - absl::Hours(3));
  SetMTime(written + "/stdout", now);

  auto garbage = FindGarbage(work, {"c-kept"}, now, absl::Hours(1));
  std::sort(garbage.begin(), garbage.end());
  CHECK(garbage == std::vector<std::string>{old_run, other});
  for (const std::string& run : garbage) RemoveSandbox(work, run);
  CHECK_FALSE(fs::exists(old_run));
  CHECK_FALSE(fs::exists(work + "/agents/S1/frameworks/F1/executors/a"));  // emptied
  CHECK(fs::exists(work + "/agents/S1/frameworks/F1/executors/b"));        // still has runs
  CHECK_FALSE(fs::exists(work + "/agents/S1/frameworks/F2/executors/x"));
  CHECK(fs::exists(written));
  CHECK(fs::exists(kept));
  CHECK(fs::exists(fresh));
  CHECK(FindGarbage(work, {}, now, absl::Hours(10)).empty());
  CHECK(FindGarbage(work + "/none", {}, now, absl::ZeroDuration()).empty());
}

}  // namespace
}  // namespace dcos::agent
