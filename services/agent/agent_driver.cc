#include "services/agent/agent_driver.h"

#include "libs/log/log.h"
#include "services/agent/command_executor.h"
#include "services/agent/sandbox_gc.h"

namespace dcos::agent {

AgentDriver::AgentDriver(DriverOptions options, Checkpointer* checkpointer,
                         MasterDetector* detector, clock::Clock* clock)
    : options_(std::move(options)),
      checkpointer_(checkpointer),
      clock_(clock),
      core_(options_.core) {
  MasterLink::Callbacks callbacks;
  callbacks.connected = [this](uint64_t generation) {
    Post([this, generation](AgentCore& core, absl::Time now) {
      generation_ = generation;
      link_->Send(generation, core.Connected(now));
    });
  };
  callbacks.received = [this](uint64_t generation, const master::v1::MasterMessage& m) {
    Post([this, generation, m](AgentCore& core, absl::Time now) {
      if (generation != generation_) return;
      const bool was_registered = core.registered();
      core.Receive(m, now);
      if (!was_registered && core.registered()) {
        link_->ResetBackoff();
        log::Info("registered with the master")
            .Field("agent_id", core.info().id().value())
            .Field("master", m.has_registered() ? m.registered().master_info().id()
                                                : m.reregistered().master_info().id());
      }
    });
  };
  callbacks.disconnected = [this](uint64_t generation, const grpc::Status&) {
    Post([this, generation](AgentCore& core, absl::Time now) {
      if (generation == generation_) core.Disconnected(now);
    });
  };
  link_ = std::make_unique<MasterLink>(detector, options_.backoff_factor, std::move(callbacks),
                                       options_.core.seed ^ 0x5bd1e995);
}

AgentDriver::~AgentDriver() { Stop(); }

Launcher::ExitCallback AgentDriver::ExitCallback() {
  return [this](const std::string& container_id, const ExitInfo& exit) {
    Post([container_id, exit](AgentCore& core, absl::Time now) {
      core.Exited(container_id, exit, now);
    });
  };
}

Launcher::LaunchCallback AgentDriver::LaunchCallback() {
  return [this](const std::string& container_id, const absl::StatusOr<ContainerPids>& result) {
    Post([container_id, result](AgentCore& core, absl::Time now) {
      if (result.ok()) {
        core.Launched(container_id, *result, now);
      } else {
        log::Warn("a task could not be launched")
            .Field("container_id", container_id)
            .Field("error", result.status());
        core.LaunchFailed(container_id, result.status(), now);
      }
    });
  };
}

HealthProber::Done AgentDriver::ProbeCallback() {
  return [this](const ProbeRequest& request, const ProbeResult& result) {
    Post([id = request.container_id, sequence = request.sequence, result](AgentCore& core,
                                                                         absl::Time now) {
      core.HealthResult(id, sequence, result, now);
    });
  };
}

absl::Status AgentDriver::Recover() {
  absl::StatusOr<CheckpointState> state = checkpointer_->Load();
  if (!state.ok()) return state.status();
  if (state->agent.has_value() && !options_.core.boot_id.empty() &&
      state->agent->boot_id() != options_.core.boot_id) {
    log::Warn("the host rebooted since the agent last ran: no task survived; the agent "
              "registers as a new agent")
        .Field("old_agent_id", state->agent->info().id().value());
    absl::Status removed = checkpointer_->RemoveAll();
    if (!removed.ok()) return removed;
    state = CheckpointState{};
  }
  const Layout& layout = checkpointer_->layout();
  std::map<std::string, RecoveredContainer> containers;
  int running = 0;
  for (const checkpoint::TaskCheckpoint& t : state->tasks) {
    const std::string& container = t.container_id().value();
    if (IsTerminal(t.state()) || container.empty()) continue;
    absl::StatusOr<RecoveredContainer> found = launcher_->Recover(
        container, layout.RunDir(t.framework_id().value(), t.task().task_id().value(), container));
    if (!found.ok()) return found.status();
    if (found->state == RecoveredContainer::State::kRunning) ++running;
    containers[container] = *found;
  }
  absl::Status recovered = core_.Recover(*state, containers, clock_->Now());
  if (!recovered.ok()) return recovered;
  log::Info("recovered the checkpoint")
      .Field("agent_id", core_.info().id().value())
      .Field("tasks", static_cast<int64_t>(state->tasks.size()))
      .Field("running", static_cast<int64_t>(running));
  CarryOut();
  return absl::OkStatus();
}

void AgentDriver::Start() {
  {
    absl::MutexLock lock(&mu_);
    running_ = true;
  }
  thread_ = std::thread([this] { Loop(); });
  link_->Start();
}

void AgentDriver::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    running_ = false;
  }
  link_->Stop();
  if (thread_.joinable()) thread_.join();
}

void AgentDriver::Post(Work work) {
  absl::MutexLock lock(&mu_);
  if (!stop_) queue_.push_back(std::move(work));
}

bool AgentDriver::PostIfRunning(Work work) {
  absl::MutexLock lock(&mu_);
  if (!running_) return false;
  queue_.push_back(std::move(work));
  return true;
}

void AgentDriver::CollectGarbage(absl::Time now) {
  const std::string& work_dir = checkpointer_->layout().work_dir();
  absl::StatusOr<double> usage = DiskUsage(work_dir);
  absl::Duration delay =
      AdjustedGcDelay(options_.gc_delay, usage.ok() ? *usage : 0, options_.gc_disk_headroom);
  for (const std::string& run : FindGarbage(work_dir, core_.KnownContainers(), now, delay)) {
    log::Info("removing an idle sandbox")
        .Field("sandbox", run)
        .Field("delay", delay)
        .Field("disk_usage", usage.ok() ? *usage : -1.0);
    RemoveSandbox(work_dir, run);
  }
}

void AgentDriver::Loop() {
  absl::Time next_tick = clock_->Now() + options_.tick;
  absl::Time next_gc = clock_->Now() + options_.gc_interval;
  for (;;) {
    std::deque<Work> batch;
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || !queue_.empty(); };
      mu_.AwaitWithTimeout(absl::Condition(&wake), next_tick - clock_->Now());
      if (stop_) return;
      batch.swap(queue_);
    }
    // Group commit: everything that came in meanwhile goes through the core first, then one
    // checkpoint commit covers all of it before anything is sent or started.
    for (Work& work : batch) work(core_, clock_->Now());
    CarryOut();
    absl::Time now = clock_->Now();
    if (now >= next_tick) {
      core_.Tick(now);
      CarryOut();
      next_tick = now + options_.tick;
    }
    if (now >= next_gc) {
      CollectGarbage(now);
      next_gc = now + options_.gc_interval;
    }
  }
}

void AgentDriver::CarryOut() {
  for (;;) {
    Outbox o = core_.TakeOutbox();
    if (o.empty()) return;
    // Removals first: a task (or framework) forgotten and a new one of the same name in one
    // outbox must end up written.
    CheckpointBatch batch;
    batch.remove_tasks = std::move(o.remove_tasks);
    batch.remove_frameworks = std::move(o.remove_frameworks);
    batch.agent = std::move(o.write_agent);
    batch.frameworks = std::move(o.write_frameworks);
    batch.tasks = std::move(o.write_tasks);
    absl::Status saved = batch.empty() ? absl::OkStatus() : checkpointer_->Commit(batch);
    if (!saved.ok()) {
      options_.on_fatal(saved);
      return;
    }
    for (master::v1::AgentMessage& m : o.to_master) link_->Send(generation_, std::move(m));
    for (const LaunchSpec& spec : o.launches) launcher_->Launch(spec);
    for (const auto& [container, signal] : o.signals) launcher_->Signal(container, signal);
    if (prober_ != nullptr) {
      for (ProbeRequest& probe : o.probes) prober_->Probe(std::move(probe));
    }
    if (o.reconnect) {
      log::Warn("the master went silent; connecting again");
      link_->Reconnect(generation_);
    }
    if (o.shutdown) options_.on_shutdown(o.shutdown_message);
  }
}

}  // namespace dcos::agent
