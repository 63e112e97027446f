// dns_bench: dcos-dns side by side with BIND 9 and NSD, in one run, on loopback.
//
// A fake master (the Operator.Subscribe stream, in this process) serves a synthetic cluster of
// N tasks; the real dcos-dns binary follows it. The same records, built by the same core, are
// written as a zone file for BIND (`named`) and NSD (`nsd`, rate limiting off), each run
// unprivileged from a temp dir on its own port. dnsperf then sends every A and SRV name served
// plus 10% names that do not exist to each server in turn, with the same flags; the table shows
// queries/s, lost queries, latency and the server's CPU time. The answers of the three servers
// are compared on a sample of the queries first. Then tasks are made RUNNING on the master's
// stream and timed until dcos-dns answers for them (idle, and under dnsperf load). Finally the
// goals of issue 7 ("Speed"), met or not. Asserts nothing.
//
//   tools/bench/run_dns_bench.sh [flags]        (installs bind9 and nsd, builds -c opt, runs)
//   bazel-bin/tools/bench/dns_bench [--dcos_dns=bazel-bin/services/mesos-dns/dcos-dns]
//       [--tasks=10000] [--agents=1000] [--apps=1000] [--seconds=20] [--clients=4]
//       [--outstanding=128] [--dnsperf_threads=2] [--threads=2] [--rounds=1]
//       [--systems=dcos-dns,bind,nsd] [--probes=200] [--dir=/var/tmp]
//
// Every process it starts is stopped when it ends, also on error or Ctrl-C; its temp dir is
// removed.

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/mesos-dns/bench/bench_data.h"
#include "services/mesos-dns/bench/udp_client.h"
#include "services/mesos-dns/core/record_builder.h"
#include "services/mesos-dns/core/test_util.h"
#include "services/mesos-dns/driver/fake_master.h"
#include "tools/bench/bench_process.h"
#include "tools/bench/dns_peers.h"
#include "tools/bench/dnsperf_run.h"

namespace dcos::bench {
namespace {

using dns::Message;
using dns::RRType;

struct Flags {
  std::string dcos_dns = "bazel-bin/services/mesos-dns/dcos-dns";
  std::string dir = "/var/tmp";
  int tasks = 10000, agents = 1000, apps = 1000;
  double seconds = 20;
  int clients = 4, outstanding = 128, dnsperf_threads = 2, threads = 2, rounds = 1;
  int probes = 200;
  std::vector<std::string> systems = {"dcos-dns", "bind", "nsd"};
};

bool ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const size_t eq = a.find('=');
    if (!absl::StartsWith(a, "--") || eq == std::string::npos) {
      std::fprintf(stderr, "dns_bench: expected --name=value, got %s\n", a.c_str());
      return false;
    }
    const std::string name = a.substr(2, eq - 2), value = a.substr(eq + 1);
    std::map<std::string, int*> ints = {
        {"tasks", &f.tasks},     {"agents", &f.agents},           {"apps", &f.apps},
        {"clients", &f.clients}, {"outstanding", &f.outstanding}, {"threads", &f.threads},
        {"rounds", &f.rounds},   {"probes", &f.probes}, {"dnsperf_threads", &f.dnsperf_threads}};
    bool ok = true;
    if (ints.contains(name)) {
      ok = absl::SimpleAtoi(value, ints[name]) && *ints[name] >= 0;
    } else if (name == "seconds") {
      ok = absl::SimpleAtod(value, &f.seconds) && f.seconds > 0;
    } else if (name == "dcos_dns") {
      f.dcos_dns = value;
    } else if (name == "dir") {
      f.dir = value;
    } else if (name == "systems") {
      f.systems = absl::StrSplit(value, ',', absl::SkipEmpty());
      for (const std::string& s : f.systems) ok = ok && (s == "dcos-dns" || s == "bind" || s == "nsd");
    } else {
      std::fprintf(stderr, "dns_bench: unknown flag --%s\n", name.c_str());
      return false;
    }
    if (!ok) {
      std::fprintf(stderr, "dns_bench: bad value for --%s: %s\n", name.c_str(), value.c_str());
      return false;
    }
  }
  return true;
}

// CPU seconds (user + system) of `pid` and every process below it (NSD forks its servers).
double CpuSecondsTree(pid_t pid) {
  std::map<pid_t, std::pair<pid_t, double>> procs;  // pid -> (ppid, cpu)
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return 0;
  while (dirent* e = readdir(proc)) {
    pid_t p = 0;
    if (!absl::SimpleAtoi(e->d_name, &p)) continue;
    std::ifstream in(absl::StrCat("/proc/", p, "/stat"));
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::vector<std::string> f = absl::StrSplit(stat.substr(close + 2), ' ');
    pid_t ppid = 0;
    double utime = 0, stime = 0;
    if (f.size() < 13 || !absl::SimpleAtoi(f[1], &ppid) || !absl::SimpleAtod(f[11], &utime) ||
        !absl::SimpleAtod(f[12], &stime)) {
      continue;
    }
    procs[p] = {ppid, (utime + stime) / tick};
  }
  closedir(proc);
  double total = 0;
  for (const auto& [p, info] : procs) {
    for (pid_t up = p; up > 1; up = procs.contains(up) ? procs[up].first : 0) {
      if (up == pid) {
        total += info.second;
        break;
      }
    }
  }
  return total;
}

// The answer of one server to one query, comparable across servers: rcode and the sorted
// answer data (lower case).
std::string Fingerprint(const absl::StatusOr<std::optional<Message>>& m) {
  if (!m.ok()) return absl::StrCat("error ", m.status().ToString());
  if (!m->has_value()) return "no answer";
  std::vector<std::string> data;
  for (const auto& r : (*m)->answers) {
    data.push_back(absl::AsciiStrToLower(absl::StrCat(dns::RRTypeName(r.type), " ",
                                                      dns::RDataToText(r.data))));
  }
  std::sort(data.begin(), data.end());
  return absl::StrCat(dns::RcodeName((*m)->header.rcode), ": ", absl::StrJoin(data, ", "));
}

struct Server {
  std::string name;   // for the table
  std::string key;    // dcos-dns, bind, nsd
  int port = 0;
  std::unique_ptr<ChildProcess> process;
  std::vector<DnsperfResult> runs;
  std::vector<double> cpu_seconds;
  std::string error;
};

// Waits until `name` A gets an answer from 127.0.0.1:port (the server is up and loaded).
bool WaitAnswering(Server& s, const std::string& name, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline && !g_stop_requested.load()) {
    if (s.process != nullptr && !s.process->Running()) return false;
    auto m = dns::bench::UdpQuery("127.0.0.1", s.port, name, RRType::kA, absl::Milliseconds(200));
    if (m.ok() && m->has_value() && !(*m)->answers.empty()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

std::string Percentiles(std::vector<absl::Duration> d) {
  if (d.empty()) return "none";
  std::sort(d.begin(), d.end());
  auto at = [&](double q) {
    const size_t i = std::min(d.size() - 1, static_cast<size_t>(q * static_cast<double>(d.size())));
    return absl::StrFormat("%.2f ms", absl::ToDoubleMilliseconds(d[i]));
  };
  return absl::StrCat("n=", d.size(), "  p50 ", at(0.5), "  p90 ", at(0.9), "  p99 ", at(0.99),
                      "  max ", at(1.0));
}

// Makes tasks RUNNING on the fake master's stream, one at a time, and times each from the
// RUNNING event being pushed to dcos-dns answering for it.
std::vector<absl::Duration> Probe(dns::driver::testing::FakeMaster& master, int dns_port,
                                  int count, int first, int agents) {
  std::vector<absl::Duration> out;
  for (int i = first; i < first + count && !g_stop_requested.load(); ++i) {
    dns::core::testing::TaskSpec spec;
    spec.id = absl::StrCat("probe", i, ".1");
    spec.name = absl::StrCat("probe", i);
    spec.agent_id = absl::StrCat("agent-S", i % agents);
    spec.state = common::v1::TASK_STAGING;
    master::v1::OperatorEvent added;
    *added.mutable_task_added()->mutable_task() = dns::core::testing::MakeTask(spec);
    master.Push(added);
    master::v1::OperatorEvent running;
    running.mutable_task_updated()->mutable_framework_id()->set_value("fw-1");
    *running.mutable_task_updated()->mutable_status() =
        dns::core::testing::MakeStatus(spec.id, common::v1::TASK_RUNNING);
    running.mutable_task_updated()->set_state(common::v1::TASK_RUNNING);
    const std::string name = absl::StrCat(spec.name, ".marathon.mesos");
    const absl::Time start = absl::Now();
    master.Push(running);
    while (absl::Now() - start < absl::Seconds(10)) {
      auto m = dns::bench::UdpQuery("127.0.0.1", dns_port, name, RRType::kA,
                                    absl::Milliseconds(100));
      if (m.ok() && m->has_value() && !(*m)->answers.empty()) {
        out.push_back(absl::Now() - start);
        break;
      }
    }
  }
  return out;
}

// One value of dcos-dns's /metrics page (plain HTTP over TcpAsk).
double MetricValue(int metrics_port, const std::string& series) {
  absl::StatusOr<std::string> page =
      TcpAsk(metrics_port, "GET /metrics HTTP/1.0\r\n\r\n", absl::Seconds(5));
  if (!page.ok()) return -1;
  for (absl::string_view line : absl::StrSplit(*page, '\n')) {
    if (absl::ConsumePrefix(&line, series) && absl::ConsumePrefix(&line, " ")) {
      double v = 0;
      if (absl::SimpleAtod(line, &v)) return v;
    }
  }
  return -1;
}

int Main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) return 2;
  InstallStopHandler();
  auto dir = TempDir::Create(flags.dir, "dns-bench");
  if (!dir.ok()) {
    std::fprintf(stderr, "dns_bench: %s\n", dir.status().ToString().c_str());
    return 1;
  }
  const std::string work = (*dir)->path();

  // The cluster, its records, the query list and the zone file.
  master::v1::ClusterState state =
      dns::core::testing::MakeCluster(flags.agents, flags.tasks, flags.apps);
  dns::core::RecordConfig config;
  config.self_addresses = {"127.0.0.1"};  // as dcos-dns on --dns.listener=127.0.0.1
  auto builder = *dns::core::RecordBuilder::Create(config);
  builder->Reset(state);
  std::shared_ptr<const dns::core::RecordSet> records = builder->Publish();
  std::vector<std::string> queries = dns::bench::QueryLines(*records, 20, 1.0 / 9, 42);
  const std::string queries_path = absl::StrCat(work, "/queries.txt");
  if (!WriteFile(queries_path, absl::StrJoin(queries, "\n") + "\n").ok()) return 1;
  const std::string zone = dns::bench::ZoneFile(*records);
  std::printf("dns_bench: %d tasks on %d agents (%d apps): %zu names, %zu records; %zu queries "
              "(%zu for names that do not exist)\n",
              flags.tasks, flags.agents, flags.apps, records->name_count(),
              records->record_count(), queries.size(),
              static_cast<size_t>(std::count_if(queries.begin(), queries.end(), [](const auto& q) {
                return absl::StartsWith(q, "missing-");
              })));

  auto master = dns::driver::testing::FakeMaster::Start("127.0.0.1");
  if (master == nullptr) return 1;
  master->SetState(state);

  std::vector<Server> servers;
  int dns_metrics_port = 0;
  for (const std::string& key : flags.systems) {
    Server s;
    s.key = key;
    s.port = FreePort();
    absl::StatusOr<std::unique_ptr<ChildProcess>> p;
    const std::string peer_dir = absl::StrCat(work, "/", key);
    std::filesystem::create_directories(peer_dir);
    if (key == "dcos-dns") {
      s.name = "dcos-dns";
      dns_metrics_port = FreePort();
      p = ChildProcess::Start(
          {"dcos-dns", flags.dcos_dns,
           {absl::StrCat("--grpc.listen=127.0.0.1:", FreePort()),
            absl::StrCat("--metrics.listen=127.0.0.1:", dns_metrics_port),
            "--dns.listener=127.0.0.1", absl::StrCat("--dns.port=", s.port),
            "--dns.masters=" + master->address(), "--dns.forwarding_enabled=false",
            absl::StrCat("--dns.udp_threads=", flags.threads)},
           peer_dir});
    } else {
      PeerOptions o{peer_dir, "mesos", zone, "127.0.0.1", s.port, flags.threads};
      s.name = key == "bind" ? "BIND 9" : "NSD";
      p = key == "bind" ? StartBind(o) : StartNsd(o);
    }
    if (!p.ok()) {
      s.error = p.status().ToString();
    } else {
      s.process = *std::move(p);
      if (!WaitAnswering(s, "app0.marathon.mesos", absl::Seconds(60))) {
        s.error = absl::StrCat("not answering; log: ",
                               s.process->Running() ? "" : "(exited) ",
                               s.process->LogTail(600));
      }
    }
    if (!s.error.empty()) std::printf("dns_bench: %s: %s\n", s.name.c_str(), s.error.c_str());
    servers.push_back(std::move(s));
  }

  // The same answers? A sample of the queries, asked of every server.
  std::mt19937_64 rng(7);
  std::vector<std::string> sample;
  std::sample(queries.begin(), queries.end(), std::back_inserter(sample), 300, rng);
  std::map<std::string, int> same;
  std::map<std::string, std::string> first_difference;
  for (const std::string& line : sample) {
    std::vector<std::string> q = absl::StrSplit(line, ' ');
    const RRType type = q[1] == "SRV" ? RRType::kSRV : RRType::kA;
    std::string reference;
    for (Server& s : servers) {
      if (!s.error.empty()) continue;
      std::string f = Fingerprint(
          dns::bench::UdpQuery("127.0.0.1", s.port, q[0], type, absl::Seconds(2)));
      if (reference.empty()) reference = f;
      if (f == reference) {
        ++same[s.key];
      } else if (!first_difference.contains(s.key)) {
        first_difference[s.key] = absl::StrCat(line, ": ", f, " vs ", reference);
      }
    }
  }

  // dnsperf against each server, the same flags for all.
  auto dnsperf = [&](int port, double seconds) {
    DnsperfOptions o;
    o.port = port;
    o.queries = queries_path;
    o.seconds = seconds;
    o.clients = flags.clients;
    o.outstanding = flags.outstanding;
    o.threads = flags.dnsperf_threads;
    return o;
  };
  for (int round = 0; round < flags.rounds && !g_stop_requested.load(); ++round) {
    for (Server& s : servers) {
      if (!s.error.empty() || g_stop_requested.load()) continue;
      const double cpu = CpuSecondsTree(s.process->pid());
      absl::StatusOr<DnsperfResult> r = RunDnsperf(
          dnsperf(s.port, flags.seconds), absl::StrCat("dnsperf-", s.key, "-", round), work);
      if (!r.ok()) {
        s.error = r.status().ToString();
        continue;
      }
      s.cpu_seconds.push_back(CpuSecondsTree(s.process->pid()) - cpu);
      s.runs.push_back(*r);
      std::printf("dns_bench: round %d %-8s %10.0f q/s, lost %llu\n", round + 1, s.name.c_str(),
                  r->qps, static_cast<unsigned long long>(r->lost));
      std::fflush(stdout);
    }
  }

  // Task RUNNING -> resolvable through dcos-dns, idle and under load.
  std::vector<absl::Duration> idle, loaded;
  Server* ours = nullptr;
  for (Server& s : servers) {
    if (s.key == "dcos-dns" && s.error.empty()) ours = &s;
  }
  if (ours != nullptr && flags.probes > 0) {
    idle = Probe(*master, ours->port, flags.probes, 0, flags.agents);
    auto load = StartDnsperf(dnsperf(ours->port, std::max(5.0, flags.probes * 0.03)),
                             "dnsperf-probe-load", work);
    if (load.ok()) {
      absl::SleepFor(absl::Milliseconds(500));  // let the load build up
      loaded = Probe(*master, ours->port, flags.probes / 2, flags.probes, flags.agents);
      while ((*load)->Running()) absl::SleepFor(absl::Milliseconds(50));
    }
  }

  // The table.
  std::printf("\n== DNS: dnsperf over loopback, %d tasks (A and SRV, 10%% nonexistent), %g s "
              "per server, -c %d -q %d -T %d -e, servers with %d threads, %d round(s), dnsperf "
              "on the same %ld cores ==\n",
              flags.tasks, flags.seconds, flags.clients, flags.outstanding,
              flags.dnsperf_threads, flags.threads, flags.rounds, sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("%-10s %10s %12s %8s %8s %8s %9s %10s %8s\n", "server", "q/s", "completed",
              "lost", "avg ms", "max ms", "CPU s", "q/CPU-s", "same");
  std::map<std::string, double> qps;  // median over rounds
  std::map<std::string, uint64_t> lost;
  for (const Server& s : servers) {
    if (s.runs.empty()) {
      std::printf("%-10s %s\n", s.name.c_str(),
                  s.error.empty() ? "not run" : s.error.substr(0, 200).c_str());
      continue;
    }
    std::vector<double> q;
    uint64_t completed = 0, lost_total = 0;
    double avg = 0, max = 0, cpu = 0;
    for (size_t i = 0; i < s.runs.size(); ++i) {
      q.push_back(s.runs[i].qps);
      completed += s.runs[i].completed;
      lost_total += s.runs[i].lost;
      avg += s.runs[i].avg_latency_s / static_cast<double>(s.runs.size());
      max = std::max(max, s.runs[i].max_latency_s);
      cpu += s.cpu_seconds[i];
    }
    std::sort(q.begin(), q.end());
    qps[s.key] = q[(q.size() - 1) / 2];  // the median (the lower one of an even count)
    lost[s.key] = lost_total;
    std::printf("%-10s %10.0f %12llu %8llu %8.3f %8.1f %9.1f %10.0f %5d/%zu\n", s.name.c_str(),
                qps[s.key], static_cast<unsigned long long>(completed),
                static_cast<unsigned long long>(lost_total), avg * 1000, max * 1000, cpu,
                cpu > 0 ? static_cast<double>(completed) / cpu : 0, same[s.key], sample.size());
  }
  for (const auto& [key, diff] : first_difference) {
    std::printf("  %s answers differently, e.g. %s\n", key.c_str(), diff.c_str());
  }
  std::printf("\n== task RUNNING -> resolvable (fake master's stream -> dcos-dns -> UDP answer, "
              "%d tasks served) ==\n", flags.tasks);
  std::printf("idle:          %s\n", Percentiles(idle).c_str());
  std::printf("under dnsperf: %s\n", Percentiles(loaded).c_str());
  if (ours != nullptr) {
    const double n = MetricValue(dns_metrics_port,
                                 "dcos_dns_freshness_lag_seconds_count{origin=\"received\"}");
    const double sum =
        MetricValue(dns_metrics_port, "dcos_dns_freshness_lag_seconds_sum{origin=\"received\"}");
    std::printf("dcos-dns's dcos_dns_freshness_lag_seconds{origin=\"received\"}: %.0f events, "
                "mean %.3f ms\n", n, n > 0 ? sum / n * 1000 : 0.0);
  }

  // The goals.
  auto verdict = [](bool known, bool met) { return !known ? "unknown" : met ? "met" : "NOT met"; };
  std::vector<absl::Duration> all = idle;
  all.insert(all.end(), loaded.begin(), loaded.end());
  std::sort(all.begin(), all.end());
  const bool have = qps.contains("dcos-dns"), have_nsd = qps.contains("nsd"),
             have_bind = qps.contains("bind");
  const double ours_qps = have ? qps["dcos-dns"] : 0, nsd = have_nsd ? qps["nsd"] : 0,
               bind = have_bind ? qps["bind"] : 0;
  std::printf("\n== goals (issue 7, Speed) ==\n");
  std::printf("dcos-dns q/s >= NSD's (%.0f vs %.0f): %s\n", ours_qps, nsd,
              verdict(have && have_nsd, ours_qps >= nsd));
  std::printf("dcos-dns q/s >= 1.3 x BIND's (%.0f vs %.0f): %s\n", ours_qps, 1.3 * bind,
              verdict(have && have_bind, ours_qps >= 1.3 * bind));
  std::printf("no lost queries (%llu): %s\n",
              static_cast<unsigned long long>(have ? lost["dcos-dns"] : 0),
              verdict(have, have && lost["dcos-dns"] == 0));
  const absl::Duration p99 =
      all.empty() ? absl::InfiniteDuration()
                  : all[std::min(all.size() - 1, static_cast<size_t>(0.99 * all.size()))];
  std::printf("task RUNNING -> resolvable p99 < 100 ms (%.2f ms): %s\n",
              absl::ToDoubleMilliseconds(p99), verdict(!all.empty(), p99 < absl::Milliseconds(100)));
  return 0;
}

}  // namespace
}  // namespace dcos::bench

int main(int argc, char** argv) { return dcos::bench::Main(argc, argv); }
