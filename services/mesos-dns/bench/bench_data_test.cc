// Tests of the load-test data: the query list (what it holds, 10% missing, seeded order) and
// the zone file (SOA first, every record once, absolute names).

#include <catch2/catch.hpp>

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "services/mesos-dns/bench/bench_data.h"
#include "services/mesos-dns/core/record_builder.h"
#include "services/mesos-dns/core/test_util.h"

namespace dcos::dns::bench {
namespace {

std::shared_ptr<const core::RecordSet> Cluster() {
  auto builder = *core::RecordBuilder::Create(core::RecordConfig{});
  builder->Reset(core::testing::MakeCluster(20, 100, 10));
  return builder->Publish();
}

TEST_CASE("QueryLines: A and SRV names, big RRsets left out, 10% missing, order by seed") {
  auto records = Cluster();
  std::vector<std::string> lines = QueryLines(*records, 20, 1.0 / 9, 7);
  size_t missing = 0;
  std::set<std::string> unique(lines.begin(), lines.end());
  CHECK(unique.size() == lines.size());
  for (const std::string& l : lines) {
    CHECK((absl::EndsWith(l, " A") || absl::EndsWith(l, " SRV")));
    if (absl::StartsWith(l, "missing-")) ++missing;
  }
  CHECK(missing == (lines.size() - missing) / 9);
  CHECK(unique.count("app1.marathon.mesos A") == 1);
  CHECK(unique.count("_app1._tcp.marathon.mesos SRV") == 1);
  CHECK(unique.count("slave.mesos A") == 1);  // 20 agents: at the limit
  CHECK(QueryLines(*records, 19, 0, 7).size() < QueryLines(*records, 20, 0, 7).size());
  CHECK(QueryLines(*records, 20, 1.0 / 9, 7) == lines);
  CHECK(QueryLines(*records, 20, 1.0 / 9, 8) != lines);
}

TEST_CASE("ZoneFile: the SOA first, then every record with an absolute name") {
  auto records = Cluster();
  std::string zone = ZoneFile(*records);
  std::vector<std::string> lines = absl::StrSplit(zone, '\n', absl::SkipEmpty());
  REQUIRE(lines.size() == records->record_count() + 1);  // + the comment line
  CHECK(absl::StartsWith(lines[1], "mesos. 60 IN SOA ns1.mesos. root.ns1.mesos. 1 60 600 86400 60"));
  CHECK(zone.find("\nmesos. 60 IN NS ns1.mesos.\n") != std::string::npos);
  CHECK(zone.find("\nleader.mesos. 60 IN A 10.1.0.1\n") != std::string::npos);
  CHECK(zone.find(" IN SRV 0 1 ") != std::string::npos);
}

}  // namespace
}  // namespace dcos::dns::bench
