#pragma once

// Knobs of randomized tests read from the environment (seed counts, soak lengths, a seed to
// replay), and the loop over seeds they share.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace dcos::testing {

// The unsigned integer in environment variable `name`, or `fallback` when it is not set.
inline uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v == nullptr ? fallback : std::strtoull(v, nullptr, 10);
}

// Seeds first..first+count-1, from <PREFIX>_SEEDS (how many; a soak sets it high),
// <PREFIX>_FIRST_SEED, or <PREFIX>_SEED (replay exactly one).
struct Seeds {
  uint64_t first = 1;
  uint64_t count = 0;
  bool replay = false;  // <PREFIX>_SEED was given
};

inline Seeds SeedsFromEnv(const std::string& prefix, uint64_t default_count) {
  Seeds s;
  s.count = EnvOr((prefix + "_SEEDS").c_str(), default_count);
  s.first = EnvOr((prefix + "_FIRST_SEED").c_str(), 1);
  if (uint64_t only = EnvOr((prefix + "_SEED").c_str(), 0); only != 0) {
    s.first = only;
    s.count = 1;
    s.replay = true;
  }
  return s;
}

// Runs `run` for every seed (it returns "" or a report naming the seed) and prints the range
// first. Stops after `max_failures` failures; returns their reports (each also printed).
inline std::vector<std::string> RunSeeds(const char* name, const Seeds& seeds,
                                         const std::function<std::string(uint64_t)>& run,
                                         int max_failures = 3) {
  std::printf("%s: seeds %llu..%llu\n", name, static_cast<unsigned long long>(seeds.first),
              static_cast<unsigned long long>(seeds.first + seeds.count - 1));
  std::vector<std::string> failures;
  for (uint64_t seed = seeds.first; seed < seeds.first + seeds.count; ++seed) {
    std::string bad = run(seed);
    if (bad.empty()) continue;
    std::printf("%s\n", bad.c_str());
    failures.push_back(std::move(bad));
    if (static_cast<int>(failures.size()) >= max_failures) break;
  }
  return failures;
}

}  // namespace dcos::testing
