#include "services/master/mesos_metrics.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "libs/tasks/task_states.h"

namespace dcos::master {
namespace {

double Percent(double used, double total) { return total > 0 ? used / total : 0; }

}  // namespace

std::vector<std::pair<std::string, double>> MesosMetrics(const MesosMetricsInput& in) {
  std::vector<std::pair<std::string, double>> out;
  auto put = [&out](std::string name, double value) { out.emplace_back(std::move(name), value); };
  put("master/elected", in.stats.has_value() ? 1 : 0);
  put("master/uptime_secs", absl::ToDoubleSeconds(in.uptime));
  if (in.stats.has_value()) {
    const MasterCore::Stats& s = *in.stats;
    // Mesos: an agent is active while connected and not deactivated (a disconnected agent is
    // deactivated too); inactive are the other registered ones.
    const double deactivated = static_cast<double>(s.agents_deactivated);
    put("master/slaves_connected", static_cast<double>(s.agents_active));
    put("master/slaves_disconnected", static_cast<double>(s.agents_disconnected));
    put("master/slaves_active", static_cast<double>(s.agents_active) - deactivated);
    put("master/slaves_inactive", static_cast<double>(s.agents_disconnected) + deactivated);
    put("master/slaves_unreachable", static_cast<double>(s.agents_unreachable));
    put("master/slaves_recovered", static_cast<double>(s.agents_recovered));
    put("master/slaves_draining", static_cast<double>(s.agents_draining));
    put("master/frameworks_connected", static_cast<double>(s.frameworks_connected));
    put("master/frameworks_disconnected", static_cast<double>(s.frameworks_disconnected));
    put("master/frameworks_active", static_cast<double>(s.frameworks_connected));
    put("master/frameworks_inactive", static_cast<double>(s.frameworks_disconnected));
    put("master/frameworks_completed", static_cast<double>(s.frameworks_completed));
    for (int st = common::v1::TASK_STAGING; st <= common::v1::TASK_UNKNOWN; ++st) {
      if (!common::v1::TaskState_IsValid(st)) continue;
      const auto state = static_cast<common::v1::TaskState>(st);
      // Terminal states are counters of tasks that ended so (Mesos); the others are gauges.
      double value = 0;
      if (tasks::IsTerminal(state)) {
        auto it = s.tasks_ended.find(state);
        if (it != s.tasks_ended.end()) value = static_cast<double>(it->second);
      } else {
        auto it = s.tasks.find(state);
        if (it != s.tasks.end()) value = static_cast<double>(it->second);
      }
      put(absl::StrCat("master/tasks_", tasks::LowerName(state)), value);
    }
    for (const auto& [name, total, used] :
         {std::tuple{"cpus", s.cpus_total, s.cpus_used}, std::tuple{"mem", s.mem_total, s.mem_used},
          std::tuple{"disk", s.disk_total, s.disk_used}}) {
      put(absl::StrCat("master/", name, "_total"), total);
      put(absl::StrCat("master/", name, "_used"), used);
      put(absl::StrCat("master/", name, "_percent"), Percent(used, total));
    }
    put("master/outstanding_offers", static_cast<double>(s.outstanding_offers));
    put("master/event_queue_messages", static_cast<double>(in.event_queue_messages));
    put("allocator/mesos/allocation_runs", static_cast<double>(in.allocation_runs));
    put("allocator/mesos/allocation_run_ms", in.last_allocation_seconds * 1000);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace dcos::master
