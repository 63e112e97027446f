// MesosMetrics: the leader's counts under Mesos's names, a standby's two figures.

#include "services/master/mesos_metrics.h"

#include <map>

#include <catch2/catch.hpp>

namespace dcos::master {
namespace {

std::map<std::string, double> AsMap(const std::vector<std::pair<std::string, double>>& v) {
  return {v.begin(), v.end()};
}

TEST_CASE("Mesos metrics: a standby reports it is not elected, and its uptime") {
  MesosMetricsInput in;
  in.uptime = absl::Seconds(42);
  auto m = AsMap(MesosMetrics(in));
  CHECK(m.size() == 2);
  CHECK(m["master/elected"] == 0);
  CHECK(m["master/uptime_secs"] == 42);
}

TEST_CASE("Mesos metrics: the leader's agents, frameworks, tasks, resources and allocator") {
  MasterCore::Stats s;
  s.agents_active = 5;  // connected, 2 of them deactivated (draining)
  s.agents_deactivated = 2;
  s.agents_disconnected = 1;
  s.agents_unreachable = 3;
  s.agents_draining = 2;
  s.frameworks_connected = 4;
  s.frameworks_disconnected = 1;
  s.tasks[common::v1::TASK_RUNNING] = 7;
  s.tasks[common::v1::TASK_STAGING] = 2;
  s.tasks[common::v1::TASK_FINISHED] = 9;  // ended, awaiting acknowledgement: not a counter
  s.tasks_ended[common::v1::TASK_FINISHED] = 11;
  s.tasks_ended[common::v1::TASK_LOST] = 1;
  s.cpus_total = 8;
  s.cpus_used = 2;
  s.mem_total = 0;  // no agent: percent 0, not NaN
  s.outstanding_offers = 6;
  MesosMetricsInput in;
  in.stats = s;
  in.event_queue_messages = 12;
  in.uptime = absl::Milliseconds(1500);
  in.allocation_runs = 30;
  in.last_allocation_seconds = 0.0025;
  const std::vector<std::pair<std::string, double>> list = MesosMetrics(in);
  CHECK(std::is_sorted(list.begin(), list.end()));
  auto m = AsMap(list);
  CHECK(m.size() == list.size());  // no name twice
  CHECK(m["master/elected"] == 1);
  CHECK(m["master/uptime_secs"] == 1.5);
  CHECK(m["master/slaves_connected"] == 5);
  CHECK(m["master/slaves_active"] == 3);
  CHECK(m["master/slaves_inactive"] == 3);  // 1 disconnected + 2 deactivated
  CHECK(m["master/slaves_disconnected"] == 1);
  CHECK(m["master/slaves_unreachable"] == 3);
  CHECK(m["master/frameworks_active"] == 4);
  CHECK(m["master/frameworks_inactive"] == 1);
  CHECK(m["master/tasks_running"] == 7);
  CHECK(m["master/tasks_staging"] == 2);
  CHECK(m["master/tasks_starting"] == 0);
  CHECK(m["master/tasks_finished"] == 11);
  CHECK(m["master/tasks_lost"] == 1);
  CHECK(m["master/tasks_gone_by_operator"] == 0);
  CHECK(m["master/cpus_percent"] == 0.25);
  CHECK(m["master/mem_percent"] == 0);
  CHECK(m["master/outstanding_offers"] == 6);
  CHECK(m["master/event_queue_messages"] == 12);
  CHECK(m["allocator/mesos/allocation_runs"] == 30);
  CHECK(m["allocator/mesos/allocation_run_ms"] == Approx(2.5));
}

}  // namespace
}  // namespace dcos::master
