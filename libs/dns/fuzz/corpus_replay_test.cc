// Replays the seed corpus (libs/dns/testdata/corpus) through the fuzz target's entry point, so
// that every packet once found interesting or harmful is checked by the normal test suite.

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "libs/dns/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

constexpr char kCorpus[] = "libs/dns/testdata/corpus";

std::vector<uint8_t> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

TEST_CASE("Every seed corpus file goes through the fuzz target without a crash") {
  int files = 0;
  int parsed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kCorpus)) {
    std::vector<uint8_t> packet = ReadFile(entry.path());
    INFO(entry.path().filename().string());
    CHECK(LLVMFuzzerTestOneInput(packet.data(), packet.size()) == 0);
    ++files;
    if (dcos::dns::ParseMessage(packet).ok()) ++parsed;
  }
  // The corpus holds well-formed queries and responses and malformed packets of every kind.
  CHECK(files >= 40);
  CHECK(parsed >= 20);
  CHECK(files - parsed >= 15);
}

TEST_CASE("The fuzz target takes empty and tiny inputs") {
  CHECK(LLVMFuzzerTestOneInput(nullptr, 0) == 0);
  const uint8_t one = 0xff;
  CHECK(LLVMFuzzerTestOneInput(&one, 1) == 0);
}

}  // namespace
