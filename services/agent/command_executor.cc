#include "services/agent/command_executor.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/resources/resources.h"
#include "services/agent/fetcher/uri.h"
#include "services/agent/health_check.h"
#include "services/agent/layout.h"

namespace dcos::agent {
namespace {

constexpr size_t kMaxCommandBytes = 64 * 1024;
constexpr size_t kMaxDataBytes = 64 * 1024;
constexpr absl::Duration kDefaultKillGrace = absl::Seconds(3);

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

}  // namespace

absl::Status ValidateTask(const common::v1::TaskInfo& task) {
  absl::Status id = ValidatePathComponent(task.task_id().value(), "task.task_id");
  if (!id.ok()) return id;
  if (task.name().empty() || task.name().size() > 255) {
    return Invalid("task.name", "must be 1..255 bytes");
  }
  if (!task.has_command() || task.command().value().empty()) {
    return Invalid("task.command.value", "required");
  }
  if (task.command().value().size() > kMaxCommandBytes) {
    return Invalid("task.command.value", "longer than 64 KiB");
  }
  if (task.data().size() > kMaxDataBytes) return Invalid("task.data", "longer than 64 KiB");
  const auto& vars = task.command().environment().variables();
  for (int i = 0; i < vars.size(); ++i) {
    const std::string field = absl::StrCat("task.command.environment.variables[", i, "]");
    const std::string& name = vars[i].name();
    if (name.empty() || name.size() > 255) return Invalid(field + ".name", "must be 1..255 bytes");
    if (name.find('=') != std::string::npos) return Invalid(field + ".name", "may not contain '='");
    if (name.find('\0') != std::string::npos || vars[i].value().find('\0') != std::string::npos) {
      return Invalid(field, "may not contain NUL");
    }
  }
  absl::StatusOr<resources::Resources> r =
      resources::Resources::FromProto(task.resources(), "task.resources");
  if (!r.ok()) return r.status();
  if (r->ScalarMilli("cpus") <= 0 && r->ScalarMilli("mem") <= 0) {
    return Invalid("task.resources", "must include cpus or mem");
  }
  if (task.has_health_check()) {
    absl::Status check = ValidateHealthCheck(task.health_check(), "task.health_check");
    if (!check.ok()) return check;
  }
  if (task.has_kill_policy() && task.kill_policy().grace_period().seconds() < 0) {
    return Invalid("task.kill_policy.grace_period", "must be >= 0");
  }
  return fetcher::ValidateUris(task.command().uris());
}

std::vector<std::pair<std::string, std::string>> TaskEnvironment(const common::v1::TaskInfo& task,
                                                                 const TaskContext& context) {
  std::vector<std::pair<std::string, std::string>> env;
  auto set = [&env](const std::string& name, std::string value) {
    for (auto& [n, v] : env) {
      if (n == name) {
        v = std::move(value);
        return;
      }
    }
    env.emplace_back(name, std::move(value));
  };
  set("PATH", kDefaultPath);
  set("HOST", context.hostname);
  std::vector<uint64_t> ports;
  for (const common::v1::Resource& r : task.resources()) {
    if (r.name() != "ports") continue;
    for (const common::v1::Value::Range& range : r.ranges().range()) {
      for (uint64_t p = range.begin(); p <= range.end() && ports.size() < 65536; ++p) {
        ports.push_back(p);
      }
    }
  }
  for (size_t i = 0; i < ports.size(); ++i) set(absl::StrCat("PORT", i), absl::StrCat(ports[i]));
  if (!ports.empty()) {
    set("PORT", absl::StrCat(ports[0]));
    set("PORTS", absl::StrJoin(ports, ","));
  }
  set("MESOS_TASK_ID", task.task_id().value());
  set("MESOS_SANDBOX", context.sandbox_dir);
  set("MESOS_FRAMEWORK_ID", context.framework_id);
  set("MESOS_AGENT_ID", context.agent_id);
  set("MESOS_EXECUTOR_ID", task.task_id().value());
  set("MESOS_CONTAINER_ID", context.container_id);
  for (const auto& v : task.command().environment().variables()) set(v.name(), v.value());
  return env;
}

absl::Duration KillGracePeriod(const common::v1::TaskInfo& task,
                               const common::v1::KillPolicy* override) {
  absl::Duration grace = kDefaultKillGrace;
  if (override != nullptr && override->has_grace_period()) {
    grace = FromProto(override->grace_period());
  } else if (task.has_kill_policy() && task.kill_policy().has_grace_period()) {
    grace = FromProto(task.kill_policy().grace_period());
  }
  return std::max(grace, absl::ZeroDuration());
}

TaskEnd MapExit(const ExitInfo& exit, bool kill_requested) {
  TaskEnd end;
  if (!exit.wait_status.has_value()) {
    end.state = common::v1::TASK_FAILED;
    end.reason = common::v1::TaskStatus::REASON_EXECUTOR_TERMINATED;
    end.message = exit.message;
  } else if (WIFEXITED(*exit.wait_status)) {
    int code = WEXITSTATUS(*exit.wait_status);
    end.state = code == 0 ? common::v1::TASK_FINISHED : common::v1::TASK_FAILED;
    end.message = absl::StrCat("Command exited with status ", code);
  } else if (WIFSIGNALED(*exit.wait_status)) {
    int sig = WTERMSIG(*exit.wait_status);
    end.state = common::v1::TASK_FAILED;
    const char* name = strsignal(sig);
    end.message = absl::StrCat("Command terminated with signal ", name != nullptr ? name : "?",
                               " (", sig, ")");
  } else {
    end.message = absl::StrCat("Command ended with wait status ", *exit.wait_status);
  }
  if (exit.memory_limit_hit && !kill_requested) {
    end.state = common::v1::TASK_FAILED;
    end.reason = common::v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY;
    end.message = "Memory limit exceeded";
  }
  if (kill_requested) {
    end.state = common::v1::TASK_KILLED;
    end.reason = common::v1::TaskStatus::REASON_UNSPECIFIED;
  }
  return end;
}

}  // namespace dcos::agent
