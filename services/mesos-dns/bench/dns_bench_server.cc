// A dcos-dns DNS server over a synthetic cluster, for load tests with dnsperf (see
// run_dnsperf.sh): builds the records of N tasks, writes a dnsperf query file (every A and SRV
// name it serves, shuffled, plus 10% names that do not exist), serves until SIGINT/SIGTERM and
// prints its counters.
//
//   dns_bench_server --tasks=10000 --agents=1000 --apps=1000 --ip=127.0.5.1 --port=8053
//       --udp_threads=2 --queries=/tmp/queries.txt

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "libs/clock/clock.h"
#include "services/mesos-dns/bench/bench_data.h"
#include "services/mesos-dns/core/record_builder.h"
#include "services/mesos-dns/core/test_util.h"
#include "services/mesos-dns/server/dns_server.h"

namespace {

volatile std::sig_atomic_t stop = 0;

std::string Flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (absl::StartsWith(argv[i], prefix)) return std::string(argv[i] + prefix.size());
  }
  return fallback;
}

int IntFlag(int argc, char** argv, const std::string& name, int fallback) {
  int v = fallback;
  if (!absl::SimpleAtoi(Flag(argc, argv, name, std::to_string(fallback)), &v)) {
    std::fprintf(stderr, "--%s: not a number\n", name.c_str());
    std::exit(2);
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace dcos::dns;
  const int tasks = IntFlag(argc, argv, "tasks", 10000);
  const int agents = IntFlag(argc, argv, "agents", 1000);
  const int apps = IntFlag(argc, argv, "apps", 1000);
  const std::string queries = Flag(argc, argv, "queries", "");

  auto builder = *core::RecordBuilder::Create(core::RecordConfig{});
  builder->Reset(core::testing::MakeCluster(agents, tasks, apps));
  std::shared_ptr<const core::RecordSet> records = builder->Publish();
  std::fprintf(stderr, "dns_bench_server: %d tasks: %zu names, %zu records\n", tasks,
               records->name_count(), records->record_count());

  if (!queries.empty()) {
    std::vector<std::string> lines = bench::QueryLines(*records, 20, 1.0 / 9, 42);
    std::ofstream out(queries);
    for (const std::string& l : lines) out << l << "\n";
    std::fprintf(stderr, "dns_bench_server: %zu queries in %s\n", lines.size(), queries.c_str());
  }

  server::SnapshotHolder holder(records);
  server::DnsServerOptions options;
  options.ip = Flag(argc, argv, "ip", "127.0.5.1");
  options.port = static_cast<uint16_t>(IntFlag(argc, argv, "port", 8053));
  options.udp_threads = IntFlag(argc, argv, "udp_threads", 2);
  absl::StatusOr<std::unique_ptr<server::DnsServer>> s =
      server::DnsServer::Start(options, &holder, nullptr, dcos::clock::RealClock::Default());
  if (!s.ok()) {
    std::fprintf(stderr, "dns_bench_server: %s\n", s.status().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "dns_bench_server: serving on %s:%d (%d UDP threads); ready\n",
               options.ip.c_str(), (*s)->port(), options.udp_threads);
  std::signal(SIGINT, [](int) { stop = 1; });
  std::signal(SIGTERM, [](int) { stop = 1; });
  while (!stop) pause();
  const server::ServerStats& st = (*s)->stats();
  std::fprintf(stderr,
               "dns_bench_server: udp %llu tcp %llu noerror %llu nxdomain %llu truncated %llu "
               "dropped %llu\n",
               static_cast<unsigned long long>(st.udp_queries.load()),
               static_cast<unsigned long long>(st.tcp_queries.load()),
               static_cast<unsigned long long>(st.rcode(Rcode::kNoError)),
               static_cast<unsigned long long>(st.rcode(Rcode::kNXDomain)),
               static_cast<unsigned long long>(st.truncated.load()),
               static_cast<unsigned long long>(st.dropped.load()));
  (*s)->Stop();
  return 0;
}
