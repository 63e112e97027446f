// Tests of the dnsperf summary parser on dnsperf 2.10's output.

#include <catch2/catch.hpp>

#include "tools/bench/dnsperf_run.h"

namespace dcos::bench {
namespace {

constexpr char kOutput[] = R"(DNS Performance Testing Tool
Version 2.10.0

[Status] Command line: dnsperf -s 127.0.5.1 -p 8053 -d /tmp/q.txt -l 10 -c 4 -q 128 -e
[Status] Sending queries (to 127.0.5.1:8053)
[Status] Testing complete (time limit)

Statistics:

  Queries sent:         906621
  Queries completed:    906600 (100.00%)
  Queries lost:         21 (0.00%)

  Response codes:       NOERROR 815949 (90.00%), NXDOMAIN 90651 (10.00%)
  Average packet size:  request 61, response 190
  Run time (s):         10.002402
  Queries per second:   90640.328193

  Average Latency (s):  0.000747 (min 0.000014, max 0.025055)
  Latency StdDev (s):   0.000649

)";

TEST_CASE("dnsperf's summary is parsed") {
  absl::StatusOr<DnsperfResult> r = ParseDnsperf(kOutput);
  REQUIRE(r.ok());
  CHECK(r->sent == 906621);
  CHECK(r->completed == 906600);
  CHECK(r->lost == 21);
  CHECK(r->qps == Approx(90640.328193));
  CHECK(r->avg_latency_s == Approx(0.000747));
  CHECK(r->min_latency_s == Approx(0.000014));
  CHECK(r->max_latency_s == Approx(0.025055));
  CHECK(r->stddev_latency_s == Approx(0.000649));
  CHECK(r->rcodes.at("NOERROR") == 815949);
  CHECK(r->rcodes.at("NXDOMAIN") == 90651);
  CHECK_FALSE(ParseDnsperf("dnsperf: invalid option").ok());
  CHECK_FALSE(ParseDnsperf("Statistics:\n  Queries sent: x\n").ok());
}

}  // namespace
}  // namespace dcos::bench
