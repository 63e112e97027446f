// Benchmarks of the dcos-dns core at cluster scale (no sockets):
//   - building the record set from a ClusterState of N tasks (first snapshot),
//   - a resynchronisation with the same state (should publish nothing),
//   - one task becoming RUNNING, then ending, each followed by Publish() (the freshness path),
//   - answering queries in-process (parse + lookup + write), one thread.
//
//   bazel run -c opt //services/mesos-dns/core:record_bench -- [tasks] [agents] [apps]
//   (defaults 10000 1000 1000; RECORD_BENCH_BUILD_ONLY=1 skips the answering part)

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/dns/writer.h"
#include "services/mesos-dns/core/record_builder.h"
#include "services/mesos-dns/core/responder.h"
#include "services/mesos-dns/core/test_util.h"

namespace dcos::dns::core {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
double Us(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

long RssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

std::vector<uint8_t> QueryPacket(const std::string& name, RRType type, uint16_t id,
                                 bool edns = false) {
  Message q;
  if (edns) q.edns = Edns{1232, 0, false, {}};
  q.header.id = id;
  q.header.rd = true;
  q.questions.push_back(Question{*Name::FromText(name), type, RRClass::kIN});
  return *Encode(q);
}

int Main(int argc, char** argv) {
  const int tasks = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int agents = argc > 2 ? std::atoi(argv[2]) : 1000;
  const int apps = argc > 3 ? std::atoi(argv[3]) : 1000;
  std::printf("record_bench: %d tasks, %d agents, %d apps (%d instances each)\n", tasks, agents,
              apps, tasks / apps);

  master::v1::ClusterState state = testing::MakeCluster(agents, tasks, apps);
  const long rss0 = RssKb();
  auto builder = *RecordBuilder::Create(RecordConfig{});
  auto t0 = Clock::now();
  builder->Reset(state);
  auto t1 = Clock::now();
  std::shared_ptr<const RecordSet> set = builder->Publish();
  auto t2 = Clock::now();
  std::printf("build:    Reset %.1f ms + first Publish %.1f ms = %.1f ms; %zu names, %zu records, "
              "+%ld MiB RSS\n",
              Ms(t1 - t0), Ms(t2 - t1), Ms(t2 - t0), set->name_count(), set->record_count(),
              (RssKb() - rss0) / 1024);

  t0 = Clock::now();
  builder->Reset(state);
  std::shared_ptr<const RecordSet> same = builder->Publish();
  t1 = Clock::now();
  std::printf("resync:   same state, Reset + Publish %.1f ms, new snapshot: %s\n", Ms(t1 - t0),
              same == set ? "no" : "yes");

  // The freshness path: one task RUNNING -> Publish, then FINISHED -> Publish.
  std::vector<double> add_us;
  std::vector<double> remove_us;
  const int rounds = 2000;
  for (int i = 0; i < rounds; ++i) {
    testing::TaskSpec spec;
    spec.framework_id = "fw-1";
    spec.id = absl::StrCat("fresh.", i);
    spec.name = absl::StrCat("app", i % apps);
    spec.agent_id = absl::StrCat("agent-S", i % agents);
    spec.port_ranges = {{40000, 40001}};
    common::v1::Task task = testing::MakeTask(spec);
    auto a = Clock::now();
    builder->UpsertTask(task);
    std::shared_ptr<const RecordSet> s1 = builder->Publish();
    auto b = Clock::now();
    builder->UpdateTask("fw-1", testing::MakeStatus(spec.id, common::v1::TASK_FINISHED),
                        common::v1::TASK_FINISHED);
    std::shared_ptr<const RecordSet> s2 = builder->Publish();
    auto c = Clock::now();
    add_us.push_back(Us(b - a));
    remove_us.push_back(Us(c - b));
  }
  std::printf("update:   task RUNNING + Publish p50 %.0f us, p99 %.0f us; task FINISHED + Publish "
              "p50 %.0f us, p99 %.0f us (%d rounds)\n",
              Percentile(add_us, 0.5), Percentile(add_us, 0.99), Percentile(remove_us, 0.5),
              Percentile(remove_us, 0.99), rounds);

  if (std::getenv("RECORD_BENCH_BUILD_ONLY") != nullptr) return 0;

  // Answering: 45% task A, 45% task SRV (with EDNS0, as resolvers send them), 10% NXDOMAIN.
  set = builder->Publish();
  std::vector<std::vector<uint8_t>> queries;
  for (int i = 0; i < 1000; ++i) {
    const std::string app = absl::StrCat("app", i % apps);
    if (i % 10 == 9) {
      queries.push_back(QueryPacket(absl::StrCat("missing", i, ".marathon.mesos"), RRType::kA, i));
    } else if (i % 2 == 0) {
      queries.push_back(QueryPacket(app + ".marathon.mesos", RRType::kA, i));
    } else {
      queries.push_back(
          QueryPacket("_" + app + "._tcp.marathon.mesos", RRType::kSRV, i, /*edns=*/true));
    }
  }
  Responder responder(ResponderOptions{});
  std::vector<uint8_t> out;
  auto measure = [&](const char* what, int stride, int offset) {
    const int n = 300000;
    size_t bytes = 0;
    auto a = Clock::now();
    for (int i = 0; i < n; ++i) {
      const size_t q = (static_cast<size_t>(i) * stride + offset) % queries.size();
      responder.Answer(*set, queries[q], Transport::kUdp, i, &out);
      bytes += out.size();
    }
    auto b = Clock::now();
    std::printf("answer:   %-22s %8.0f queries/s on one thread in-process (%.2f us each, avg %zu "
                "bytes)\n",
                what, n / (Ms(b - a) / 1000.0), Us(b - a) / n, bytes / n);
  };
  measure("mix (45/45/10)", 1, 0);
  measure("A (10 records)", 10, 0);
  measure("SRV (10 + 10 extra)", 10, 1);
  measure("NXDOMAIN", 10, 9);
  return 0;
}

}  // namespace
}  // namespace dcos::dns::core

int main(int argc, char** argv) { return dcos::dns::core::Main(argc, argv); }
