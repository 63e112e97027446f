#include "tests/dns/dns_test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <random>

#include <grpcpp/create_channel.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/mesos-dns/bench/udp_client.h"
#include "libs/testing/harness.h"

namespace dcos::testing {

using dns::ResourceRecord;

std::unique_ptr<TestProcess> StartMaster(const std::string& name, const std::string& address,
                                         const std::vector<std::string>& flags,
                                         const std::string& dir) {
  std::vector<std::string> args = {"--grpc.listen=" + address, "--metrics.listen=",
                                   "--shutdown.grace=1s"};
  args.insert(args.end(), flags.begin(), flags.end());
  auto p = TestProcess::Start({name, Runfile("services/master/dcos-master"), args, dir});
  REQUIRE(p.ok());
  REQUIRE(WaitServing(address, grpc::InsecureChannelCredentials(), absl::Seconds(30)).ok());
  return *std::move(p);
}

DnsProcess StartDns(const std::string& name, const std::string& dir,
                    const std::vector<std::string>& flags, bool wait_ready,
                    const std::string& ip) {
  DnsProcess d;
  d.ip = ip;
  d.grpc = absl::StrCat(ip, ":", FreePort());
  d.metrics = absl::StrCat(ip, ":", FreePort());
  // The DNS port is the one dcos-dns picks (port 0) and logs: a port picked here and released
  // could be taken by another test's UDP socket before dcos-dns binds it.
  std::vector<std::string> args = {"--grpc.listen=" + d.grpc, "--metrics.listen=" + d.metrics,
                                   "--shutdown.grace=1s", "--dns.listener=" + ip,
                                   "--dns.port=0"};
  args.insert(args.end(), flags.begin(), flags.end());
  auto p = TestProcess::Start({name, Runfile("services/mesos-dns/dcos-dns"), args, dir});
  REQUIRE(p.ok());
  d.process = *std::move(p);
  const std::string logged = absl::StrCat("serving DNS listen=", ip, ":");
  REQUIRE(WaitFor([&] {
            const std::string log = d.process->Log();
            const size_t at = log.find(logged);
            return at != std::string::npos &&
                   absl::SimpleAtoi(log.substr(at + logged.size(),
                                               log.find_first_of(" \n", at + logged.size()) -
                                                   at - logged.size()),
                                    &d.dns_port);
          }, absl::Seconds(30), "dcos-dns serving DNS").ok());
  if (wait_ready) {
    REQUIRE(WaitServing(d.grpc, grpc::InsecureChannelCredentials(), absl::Seconds(30)).ok());
  }
  return d;
}

DigResult Dig(const std::string& server, int port, const std::vector<std::string>& args) {
  std::string command = absl::StrCat("timeout 20 dig @", server, " -p ", port);
  for (const std::string& a : args) absl::StrAppend(&command, " '", a, "'");
  absl::StrAppend(&command, " 2>&1");
  DigResult result;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) result.output.append(buf, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::optional<std::vector<uint8_t>> UdpExchange(const std::string& ip, int port,
                                                const std::vector<uint8_t>& packet,
                                                absl::Duration timeout) {
  auto bytes = dns::bench::UdpExchange(ip, port, packet, timeout);
  REQUIRE(bytes.ok());
  return *std::move(bytes);
}

std::optional<Message> UdpQuery(const std::string& ip, int port, const std::string& name,
                                RRType type, absl::Duration timeout) {
  auto m = dns::bench::UdpQuery(ip, port, name, type, timeout);
  INFO(m.status());
  REQUIRE(m.ok());
  return *std::move(m);
}

std::set<std::string> Answers(const std::string& ip, int port, const std::string& name,
                              RRType type) {
  std::set<std::string> out;
  std::optional<Message> m = UdpQuery(ip, port, name, type);
  if (!m.has_value()) return out;
  for (const ResourceRecord& r : m->answers) {
    if (r.type == type) out.insert(dns::RDataToText(r.data));
  }
  return out;
}

absl::StatusOr<absl::Duration> TimeUntil(const std::string& ip, int port, const std::string& name,
                                         RRType type,
                                         const std::function<bool(const Message&)>& ok,
                                         absl::Duration timeout) {
  const absl::Time start = absl::Now();
  while (absl::Now() - start < timeout) {
    std::optional<Message> m = UdpQuery(ip, port, name, type, absl::Milliseconds(200));
    if (m.has_value() && ok(*m)) return absl::Now() - start;
    absl::SleepFor(absl::Milliseconds(1));  // the polling period of this measurement
  }
  return absl::DeadlineExceededError(absl::StrCat(name, " not as expected within ",
                                                  absl::FormatDuration(timeout)));
}

// ---- SimCluster --------------------------------------------------------------------------

namespace {

std::string RandomUuid() {
  static std::mt19937_64 rng(std::random_device{}());
  std::string uuid(16, '\0');
  for (char& c : uuid) c = static_cast<char>(rng());
  return uuid;
}

}  // namespace

SimCluster::SimCluster(const std::string& master, const std::string& framework_name,
                       const std::string& agent_ip) {
  auto channel = grpc::CreateChannel(master, grpc::InsecureChannelCredentials());
  mv1::AgentMessage reg = RegisterMessage("agent-" + agent_ip);
  cv1::AgentInfo* info = reg.mutable_register_agent()->mutable_agent_info();
  info->mutable_address()->set_ip(agent_ip);
  info->clear_resources();
  *info->add_resources() = Scalar("cpus", 8);
  *info->add_resources() = Scalar("mem", 8192);
  cv1::Resource ports;
  ports.set_name("ports");
  ports.set_type(cv1::Value::TYPE_RANGES);
  cv1::Value::Range* range = ports.mutable_ranges()->add_range();
  range->set_begin(31000);
  range->set_end(32999);
  *info->add_resources() = ports;
  agent_ = std::make_unique<SimAgent>(channel, reg);
  REQUIRE(WaitFor([&] {
            auto m = agent_->Find([](const auto& m) { return m.has_registered(); });
            if (m) agent_id_ = m->registered().agent_id().value();
            return m.has_value();
          }, absl::Seconds(10), "the agent registered").ok());
  framework_ = std::make_unique<SimFramework>(channel, Framework(framework_name));
  REQUIRE(WaitFor([&] {
            for (const auto& e : framework_->events()) {
              if (e.has_subscribed()) {
                framework_id_ = e.subscribed().framework_id().value();
                stream_id_ = e.subscribed().stream_id();
              }
            }
            return !framework_id_.empty();
          }, absl::Seconds(10), "the framework subscribed").ok());
}

SimCluster::~SimCluster() { Disconnect(); }

void SimCluster::Disconnect() {
  framework_.reset();
  agent_.reset();
}

void SimCluster::Launch(const std::vector<TaskSpec>& tasks) {
  cv1::Offer offer;
  REQUIRE(WaitFor([&] {
            size_t seen = 0;
            for (const auto& e : framework_->events()) {
              if (!e.has_offers()) continue;
              for (const auto& o : e.offers().offers()) {
                if (++seen > offers_used_) offer = o;
              }
            }
            if (offer.id().value().empty()) return false;
            offers_used_ = seen;
            return true;
          }, absl::Seconds(10), "a new offer").ok());
  grpc::ClientContext ctx;
  mv1::AcceptRequest req;
  req.mutable_framework_id()->set_value(framework_id_);
  req.set_stream_id(stream_id_);
  *req.add_offer_ids() = offer.id();
  auto* launch = req.add_operations()->mutable_launch();
  for (const TaskSpec& task : tasks) {
    cv1::TaskInfo* t = launch->add_task_infos();
    t->set_name(task.name);
    t->mutable_task_id()->set_value(task.id);
    t->mutable_command()->set_value("serve");
    *t->add_resources() = Scalar("cpus", 0.01);
    *t->add_resources() = Scalar("mem", 1);
    if (task.port != 0) {
      cv1::Resource ports;
      ports.set_name("ports");
      ports.set_type(cv1::Value::TYPE_RANGES);
      cv1::Value::Range* range = ports.mutable_ranges()->add_range();
      range->set_begin(task.port);
      range->set_end(task.port);
      *t->add_resources() = ports;
    }
  }
  mv1::AcceptResponse resp;
  grpc::Status accepted = framework_->stub().Accept(&ctx, req, &resp);
  INFO(accepted.error_message());
  REQUIRE(accepted.ok());
  REQUIRE(WaitFor([&] {
            std::set<std::string> asked;
            for (const auto& m : agent_->received()) {
              if (m.has_run_task()) asked.insert(m.run_task().task().task_id().value());
            }
            for (const TaskSpec& task : tasks) {
              if (!asked.contains(task.id)) return false;
            }
            return true;
          }, absl::Seconds(20), "RunTask for every task").ok());
}

void SimCluster::Report(const TaskSpec& task, common::v1::TaskState state) {
  mv1::AgentMessage m;
  m.mutable_status_update()->mutable_framework_id()->set_value(framework_id_);
  cv1::TaskStatus* s = m.mutable_status_update()->mutable_status();
  s->mutable_task_id()->set_value(task.id);
  s->mutable_agent_id()->set_value(agent_id_);
  s->set_state(state);
  s->set_source(cv1::TaskStatus::SOURCE_EXECUTOR);
  s->set_uuid(RandomUuid());
  const absl::Time now = absl::Now();
  s->mutable_timestamp()->set_seconds(absl::ToUnixSeconds(now));
  s->mutable_timestamp()->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(now - absl::FromUnixSeconds(
                                                               absl::ToUnixSeconds(now)))));
  if (state == cv1::TASK_RUNNING && !task.container_ip.empty()) {
    auto* ip = s->mutable_container_status()->add_network_infos()->add_ip_addresses();
    ip->set_protocol(cv1::NetworkInfo::IPAddress::PROTOCOL_IPV4);
    ip->set_ip_address(task.container_ip);
  }
  m.mutable_status_update()->set_latest_state(state);
  agent_->Send(m);
}

std::optional<double> Metric(const std::string& page, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    if (line.size() <= series.size() + 1 || line.substr(0, series.size()) != series ||
        line[series.size()] != ' ') {
      continue;
    }
    double v = 0;
    if (absl::SimpleAtod(line.substr(series.size() + 1), &v)) return v;
  }
  return std::nullopt;
}

}  // namespace dcos::testing

namespace dcos::testing {

absl::Status WaitMetric(const std::string& metrics, const std::string& series,
                        const std::function<bool(double)>& ok) {
  return WaitFor(
      [&] {
        absl::StatusOr<std::string> page = HttpGet(metrics, "/metrics");
        if (!page.ok()) return false;
        std::optional<double> v = Metric(*page, series);
        return v.has_value() && ok(*v);
      },
      absl::Seconds(5), series);
}

}  // namespace dcos::testing
