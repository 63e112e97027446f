#include "services/master/master_driver.h"

#include "absl/strings/str_cat.h"
#include "libs/log/log.h"
#include "services/master/core/proto_time.h"

namespace dcos::master {

MasterDriver::MasterDriver(DriverOptions options, AllocatorPort* allocator, Registry* registry,
                           clock::Clock* clock)
    : options_(std::move(options)),
      registry_(registry),
      clock_(clock),
      core_(options_.core, allocator, clock->Now()) {}

MasterDriver::~MasterDriver() { Stop(); }

absl::Status MasterDriver::Start() {
  const absl::Time start = clock_->Now();
  absl::StatusOr<RegistryContents> contents = registry_->Load();
  if (!contents.ok()) return contents.status();
  const absl::Time loaded = clock_->Now();
  const int64_t admitted = static_cast<int64_t>(contents->admitted.size());
  const int64_t unreachable = static_cast<int64_t>(contents->unreachable.size());
  if (contents->policy.has_value()) core_.RecoverPolicy(*contents->policy);
  core_.RecoverRegistry(std::move(contents->admitted), std::move(contents->unreachable),
                        contents->gone, contents->states, clock_->Now());
  log::Info("master registry recovered")
      .Field("load_ms", absl::ToInt64Milliseconds(loaded - start))
      .Field("recover_ms", absl::ToInt64Milliseconds(clock_->Now() - loaded))
      .Field("admitted", admitted)
      .Field("unreachable", unreachable)
      .Field("gone", static_cast<int64_t>(contents->gone.size()))
      .Field("draining_or_deactivated", static_cast<int64_t>(contents->states.size()))
      .Field("role_policy", contents->policy.has_value() ? "registry" : "flags");
  core_.SetOperatorEvents(false);  // until an operator subscribes
  next_tick_ = clock_->Now();
  next_heartbeat_ = next_tick_ + options_.operator_heartbeat;
  started_ = true;
  loop_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void MasterDriver::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      // Already stopping; join below if we own the thread.
    }
    stopping_ = true;
  }
  if (started_) {
    if (loop_.joinable()) loop_.join();
    return;
  }
  // Never started (the registry did not load): what was queued is refused, as after a
  // registry failure, and nothing touches the core.
  failed_.store(true);
  std::vector<std::function<void()>> work;
  {
    absl::MutexLock lock(&mu_);
    work.swap(inbox_);
  }
  for (auto& w : work) w();
  RunAfterDispatch();
}

void MasterDriver::Post(std::function<void(MasterCore&, absl::Time)> fn) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return;
  inbox_.push_back([this, fn = std::move(fn)] {
    if (failed_) return;
    fn(core_, clock_->Now());
  });
}

absl::Status MasterDriver::RunStatus(std::function<absl::Status(MasterCore&, absl::Time)> fn) {
  absl::StatusOr<absl::Status> r = Run<absl::Status>(std::move(fn));
  if (!r.ok()) return r.status();
  return *r;
}

void MasterDriver::Loop() {
  for (;;) {
    std::vector<std::function<void()>> work;
    bool stopping = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !inbox_.empty() || stopping_;
      };
      absl::Duration wait = next_tick_ - clock_->Now();
      if (wait > absl::ZeroDuration()) mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
      if (inbox_.size() <= options_.max_batch) {
        work.swap(inbox_);
      } else {
        auto end = inbox_.begin() + static_cast<std::ptrdiff_t>(options_.max_batch);
        work.assign(std::make_move_iterator(inbox_.begin()), std::make_move_iterator(end));
        inbox_.erase(inbox_.begin(), end);
      }
      stopping = stopping_;
    }
    for (auto& w : work) w();
    Dispatch();
    RunAfterDispatch();
    absl::Time now = clock_->Now();
    // The stats walk every agent and task: while a backlog is worked through (a full batch,
    // e.g. a takeover's re-registrations) they wait, for at most stats_interval more.
    const bool backlog = work.size() >= options_.max_batch;
    if (options_.on_stats && now >= next_stats_ && !failed_ &&
        (!backlog || now >= next_stats_ + options_.stats_interval)) {
      options_.on_stats(core_.GetStats(), work.size());
      next_stats_ = now + options_.stats_interval;
    }
    if (now >= next_heartbeat_ && !failed_) {
      Heartbeat();
      next_heartbeat_ = now + options_.operator_heartbeat;
    }
    if (now >= next_tick_ && !failed_) {
      core_.Tick(now);
      Dispatch();
      next_tick_ = now + options_.tick;
    }
    if (stopping) {
      absl::MutexLock lock(&mu_);
      if (inbox_.empty()) break;
    }
  }
  grpc::Status bye(grpc::StatusCode::UNAVAILABLE, "the master is shutting down");
  for (auto& [id, q] : agents_) q->Close(bye);
  for (auto& [id, q] : frameworks_) q->Close(bye);
  for (auto& q : operators_) q->Close(bye);
}

void MasterDriver::RunAfterDispatch() {
  std::vector<std::function<void()>> after;
  after.swap(after_dispatch_);
  for (auto& fn : after) fn();
}

void MasterDriver::Fail(const absl::Status& status) {
  if (failed_.exchange(true)) return;
  log::Error("master registry write failed; stopping").Field("error", status);
  grpc::Status bye(grpc::StatusCode::UNAVAILABLE, "the master failed; reconnect to the leader");
  for (auto& [id, q] : agents_) q->Close(bye);
  for (auto& [id, q] : frameworks_) q->Close(bye);
  for (auto& q : operators_) q->Close(bye);
  if (options_.on_fatal) options_.on_fatal(status);
}

void MasterDriver::Dispatch() {
  if (failed_) return;
  Outbox out = core_.TakeOutbox();
  if (out.empty()) return;
  if (!out.registry.empty()) {
    absl::Status written = registry_->Apply(out.registry);
    if (!written.ok()) return Fail(written);
  }
  for (auto& [id, m] : out.to_agents) {
    auto it = agents_.find(id);
    if (it != agents_.end()) it->second->Push(std::move(m));
  }
  for (auto& [key, e] : out.to_frameworks) {
    auto it = frameworks_.find(key);  // "framework/stream"
    if (it != frameworks_.end()) it->second->Push(std::move(e));
  }
  for (auto& e : out.to_operators) {
    for (auto& q : operators_) q->Push(e);
  }
  for (const std::string& key : out.close_frameworks) {
    auto it = frameworks_.find(key);
    if (it == frameworks_.end()) continue;
    it->second->Close(grpc::Status::OK);
    frameworks_.erase(it);
  }
  for (const std::string& id : out.close_agents) {
    auto it = agents_.find(id);
    if (it == agents_.end()) continue;
    it->second->Close(grpc::Status::OK);
    agents_.erase(it);
  }
  // Operator subscribers that left or fell behind were closed; forget them, and stop building
  // events nobody reads.
  operators_.erase(std::remove_if(operators_.begin(), operators_.end(),
                                  [](const auto& q) { return q->closed(); }),
                   operators_.end());
  if (operators_.empty()) core_.SetOperatorEvents(false);
}

void MasterDriver::Enqueue(std::function<void()> work, const std::function<void()>& refused) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      inbox_.push_back(std::move(work));
      return;
    }
  }
  refused();
}

void MasterDriver::ConnectAgent(v1::AgentMessage first, std::shared_ptr<AgentQueue> queue,
                                std::function<void(absl::StatusOr<std::string>)> done) {
  auto refused = [done] { done(absl::UnavailableError("the master is stopping")); };
  Enqueue(
      [this, first = std::move(first), queue = std::move(queue), done, refused]() mutable {
        if (failed_) return refused();
        absl::StatusOr<std::string> id = AttachAgent(first, queue, clock_->Now());
        AfterDispatch([this, done, id = std::move(id)] {
          if (failed_) return done(absl::UnavailableError("the master stopped"));
          done(id);
        });
      },
      refused);
}

absl::StatusOr<std::string> MasterDriver::AttachAgent(v1::AgentMessage& first,
                                                      const std::shared_ptr<AgentQueue>& queue,
                                                      absl::Time now) {
  if (first.has_register_agent()) {
    absl::StatusOr<std::string> id = core_.RegisterAgent(first.register_agent(), now);
    if (id.ok()) agents_[*id] = queue;
    return id;
  }
  if (!first.has_reregister_agent()) {
    return absl::InvalidArgumentError(
        "the first message of a Connect stream must be register_agent or reregister_agent");
  }
  const std::string id = first.reregister_agent().agent_info().id().value();
  // Attach first so a Shutdown for a gone agent reaches it.
  auto old = agents_.find(id);
  if (old != agents_.end() && old->second != queue) {
    old->second->Close(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                    "another stream of this agent took over"));
  }
  agents_[id] = queue;
  absl::Status ok = core_.ReregisterAgent(std::move(*first.mutable_reregister_agent()), now);
  if (ok.ok()) return id;
  if (ok.code() != absl::StatusCode::kFailedPrecondition) agents_.erase(id);
  return ok;
}

void MasterDriver::AgentStreamEnded(const std::string& agent_id,
                                    const std::shared_ptr<AgentQueue>& queue) {
  Post([this, agent_id, queue](MasterCore& core, absl::Time now) {
    auto it = agents_.find(agent_id);
    if (it == agents_.end() || it->second != queue) return;  // replaced or already closed
    agents_.erase(it);
    core.AgentDisconnected(agent_id, now);
  });
}

void MasterDriver::SubscribeFramework(
    common::v1::FrameworkInfo info, std::shared_ptr<EventQueue> queue,
    std::function<void(absl::StatusOr<MasterCore::Subscription>)> done) {
  auto refused = [done] { done(absl::UnavailableError("the master is stopping")); };
  Enqueue(
      [this, info = std::move(info), queue = std::move(queue), done, refused] {
        if (failed_) return refused();
        absl::StatusOr<MasterCore::Subscription> s = core_.Subscribe(info, clock_->Now());
        // Attached before the outbox (with SUBSCRIBED) is carried out. An older stream of the
        // framework is closed by the outbox (close_frameworks) after its ERROR.
        if (s.ok()) frameworks_[s->framework_id + "/" + s->stream_id] = queue;
        AfterDispatch([this, done, s = std::move(s)] {
          if (failed_) return done(absl::UnavailableError("the master stopped"));
          done(s);
        });
      },
      refused);
}

void MasterDriver::FrameworkStreamEnded(const MasterCore::Subscription& s) {
  Post([this, s](MasterCore& core, absl::Time now) {
    frameworks_.erase(s.framework_id + "/" + s.stream_id);
    core.FrameworkDisconnected(s.framework_id, s.stream_id, now);
  });
}

void MasterDriver::SubscribeOperator(std::shared_ptr<OperatorQueue> queue) {
  auto refused = [queue] {
    queue->Close(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the master is stopping"));
  };
  Enqueue(
      [this, queue, refused] {
        // Earlier changes of this batch go to the older subscribers only: they are in the
        // state this one starts from.
        Dispatch();
        if (failed_) return refused();
        v1::OperatorEvent first;
        *first.mutable_subscribed()->mutable_state() = core_.State();
        ToProto(options_.operator_heartbeat,
                first.mutable_subscribed()->mutable_heartbeat_interval());
        queue->Push(std::move(first));
        operators_.push_back(queue);
        core_.SetOperatorEvents(true);
      },
      refused);
}

void MasterDriver::Heartbeat() {
  v1::OperatorEvent beat;
  beat.mutable_heartbeat();
  for (auto& q : operators_) q->Push(beat);
}

}  // namespace dcos::master
