#include "tools/bench/launch_framework.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "libs/resources/resources.h"
#include "libs/tasks/task_states.h"

namespace dcos::bench {
namespace {

namespace mv1 = master::v1;
namespace cv1 = common::v1;

// Acknowledgements in flight at once: each is a unary RPC, and with 1,000 tasks starting there
// are 2,000 of them (STARTING, RUNNING) that gate the agent's next update of each task.
constexpr int kAckThreads = 4;

// The total of scalar `name` in `offer`; 0 if the offer's resources do not parse.
double ScalarOf(const cv1::Offer& offer, const std::string& name) {
  absl::StatusOr<resources::Resources> r = resources::Resources::FromProto(offer.resources());
  return r.ok() ? r->Scalar(name) : 0;
}

std::string CurrentUser() {
  passwd* pw = getpwuid(geteuid());
  return pw != nullptr ? pw->pw_name : "root";
}

cv1::Filters NoRefusal() {
  cv1::Filters f;
  f.mutable_refuse()->set_seconds(0);
  return f;
}

}  // namespace

LaunchFramework::LaunchFramework(const std::string& master)
    : channel_(grpc::CreateChannel(master, grpc::InsecureChannelCredentials())),
      stub_(mv1::Scheduler::NewStub(channel_)) {}

LaunchFramework::~LaunchFramework() {
  Teardown();
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  subscribe_context_.TryCancel();
  if (reader_.joinable()) reader_.join();
  for (std::thread& t : ackers_) t.join();
}

template <typename Request>
void LaunchFramework::Identify(Request* r) {
  absl::MutexLock lock(&mu_);
  r->mutable_framework_id()->set_value(framework_id_);
  r->set_stream_id(stream_id_);
}

absl::Status LaunchFramework::Subscribe(absl::Duration timeout) {
  mv1::SubscribeRequest req;
  cv1::FrameworkInfo* info = req.mutable_framework_info();
  info->set_user(CurrentUser());
  info->set_name("launch_bench");
  info->add_capabilities()->set_type(cv1::FrameworkInfo::Capability::TYPE_TASK_KILLING_STATE);
  stream_ = stub_->Subscribe(&subscribe_context_, req);
  reader_ = std::thread([this] { ReadLoop(); });
  for (int i = 0; i < kAckThreads; ++i) ackers_.emplace_back([this] { AckLoop(); });
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !framework_id_.empty() || stream_ended_;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&ready), timeout) || framework_id_.empty()) {
    return absl::UnavailableError("the master did not answer Subscribe with SUBSCRIBED");
  }
  return absl::OkStatus();
}

void LaunchFramework::ReadLoop() {
  mv1::Event e;
  while (stream_->Read(&e)) {
    const absl::Time now = absl::Now();
    absl::MutexLock lock(&mu_);
    if (e.has_subscribed()) {
      framework_id_ = e.subscribed().framework_id().value();
      stream_id_ = e.subscribed().stream_id();
    } else if (e.has_offers()) {
      for (const cv1::Offer& o : e.offers().offers()) offers_.push_back(o);
    } else if (e.has_update()) {
      const cv1::TaskStatus& s = e.update().status();
      if (!s.uuid().empty()) {
        mv1::AcknowledgeRequest ack;
        ack.mutable_framework_id()->set_value(framework_id_);
        ack.set_stream_id(stream_id_);
        *ack.mutable_agent_id() = s.agent_id();
        *ack.mutable_task_id() = s.task_id();
        ack.set_uuid(s.uuid());
        acks_.push_back(std::move(ack));
      }
      auto it = tasks_.find(s.task_id().value());
      if (it == tasks_.end()) continue;
      TaskTimes& t = it->second;
      t.agent_id = s.agent_id().value();
      if (s.state() == cv1::TASK_RUNNING && t.running == absl::InfinitePast()) {
        t.running = now;
        ++running_;
      } else if (tasks::IsTerminal(s.state()) && !t.ended) {
        t.ended = true;
        ++ended_;
        if (t.running == absl::InfinitePast()) {
          ++failed_before_running_;
          if (first_failure_.empty()) {
            first_failure_ = absl::StrCat(s.task_id().value(), ": ",
                                          cv1::TaskState_Name(s.state()), ": ", s.message());
          }
        }
      }
    }
  }
  absl::MutexLock lock(&mu_);
  stream_ended_ = true;
}

void LaunchFramework::AckLoop() {
  for (;;) {
    mv1::AcknowledgeRequest ack;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !acks_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (acks_.empty()) return;
      ack = std::move(acks_.front());
      acks_.pop_front();
    }
    grpc::ClientContext call;
    mv1::AcknowledgeResponse resp;
    stub_->Acknowledge(&call, ack, &resp);
  }
}

void LaunchFramework::Accept(const cv1::Offer& offer, const LaunchOptions& options, int count) {
  mv1::AcceptRequest req;
  Identify(&req);
  *req.add_offer_ids() = offer.id();
  *req.mutable_filters() = NoRefusal();
  mv1::Operation::Launch* launch = req.add_operations()->mutable_launch();
  std::vector<std::string> ids;
  {
    absl::MutexLock lock(&mu_);
    for (int i = 0; i < count; ++i) {
      std::string id = absl::StrCat("bench-", tasks_.size() + ids.size());
      cv1::TaskInfo* t = launch->add_task_infos();
      t->set_name("bench");
      t->mutable_task_id()->set_value(id);
      *t->mutable_agent_id() = offer.agent_id();
      t->mutable_command()->set_value(options.command);
      resources::Resources::CpusMem(options.task_cpus, options.task_mem).ToProto(t->mutable_resources());
      ids.push_back(std::move(id));
    }
    // Registered before the call: updates may come before Accept returns.
    const absl::Time now = absl::Now();
    for (const std::string& id : ids) tasks_[id] = TaskTimes{now, absl::InfinitePast(), false, ""};
  }
  grpc::ClientContext call;
  mv1::AcceptResponse resp;
  grpc::Status s = stub_->Accept(&call, req, &resp);
  if (!s.ok()) {
    absl::MutexLock lock(&mu_);
    for (const std::string& id : ids) tasks_.erase(id);
  }
}

void LaunchFramework::Decline(const cv1::Offer& offer) {
  mv1::DeclineRequest req;
  Identify(&req);
  *req.add_offer_ids() = offer.id();
  *req.mutable_filters() = NoRefusal();
  grpc::ClientContext call;
  mv1::DeclineResponse resp;
  stub_->Decline(&call, req, &resp);
}

absl::StatusOr<LaunchResult> LaunchFramework::LaunchAll(const LaunchOptions& options) {
  LaunchResult r;
  const absl::Time deadline = absl::Now() + options.timeout;
  while (r.launched < options.tasks) {
    std::deque<cv1::Offer> offers;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stream_ended_ || !offers_.empty();
      };
      mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
      if (stream_ended_) return absl::UnavailableError("the master ended the subscription");
      if (offers_.empty()) {
        return absl::DeadlineExceededError(absl::StrCat(
            "offers for only ", r.launched, " of ", options.tasks, " tasks came in time"));
      }
      offers.swap(offers_);
    }
    for (const cv1::Offer& offer : offers) {
      int fit = static_cast<int>(std::min(std::floor(ScalarOf(offer, "cpus") / options.task_cpus),
                                          std::floor(ScalarOf(offer, "mem") / options.task_mem)));
      int count = std::min(fit, options.tasks - r.launched);
      if (options.tasks_per_accept > 0) count = std::min(count, options.tasks_per_accept);
      if (count <= 0) {
        Decline(offer);
        continue;
      }
      if (r.accepts == 0) r.first_accept = absl::Now();
      Accept(offer, options, count);
      ++r.accepts;
      r.launched += count;
    }
  }
  {
    mv1::SuppressRequest req;
    Identify(&req);
    grpc::ClientContext call;
    mv1::SuppressResponse resp;
    stub_->Suppress(&call, req, &resp);
  }
  absl::MutexLock lock(&mu_);
  auto settled = [this, &r]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stream_ended_ || running_ + failed_before_running_ >= r.launched;
  };
  mu_.AwaitWithDeadline(absl::Condition(&settled), deadline);
  r.running = running_;
  r.failed = failed_before_running_;
  r.first_failure = first_failure_;
  r.last_running = r.first_accept;
  for (const auto& [id, t] : tasks_) {
    if (t.running == absl::InfinitePast()) continue;
    r.last_running = std::max(r.last_running, t.running);
    r.accept_to_running_us.push_back(absl::ToDoubleMicroseconds(t.running - t.accepted));
    r.running_at[id] = t.running;
  }
  return r;
}

absl::StatusOr<absl::Duration> LaunchFramework::KillAll(absl::Duration timeout) {
  std::vector<std::pair<std::string, std::string>> live;  // task, agent
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, t] : tasks_) {
      if (!t.ended) live.emplace_back(id, t.agent_id);
    }
  }
  const absl::Time start = absl::Now();
  for (const auto& [task, agent] : live) {
    mv1::KillRequest req;
    Identify(&req);
    req.mutable_task_id()->set_value(task);
    if (!agent.empty()) req.mutable_agent_id()->set_value(agent);
    grpc::ClientContext call;
    mv1::KillResponse resp;
    grpc::Status s = stub_->Kill(&call, req, &resp);
    if (!s.ok()) return absl::InternalError(absl::StrCat("Kill ", task, ": ", s.error_message()));
  }
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stream_ended_ || (ended_ == static_cast<int>(tasks_.size()) && acks_.empty());
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&done), timeout) ||
      ended_ != static_cast<int>(tasks_.size())) {
    return absl::DeadlineExceededError(absl::StrCat(
        "only ", ended_, " of ", tasks_.size(), " tasks ended after the kill"));
  }
  return absl::Now() - start;
}

void LaunchFramework::Teardown() {
  {
    absl::MutexLock lock(&mu_);
    if (framework_id_.empty() || stream_ended_) return;
  }
  mv1::TeardownRequest req;
  Identify(&req);
  grpc::ClientContext call;
  call.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  mv1::TeardownResponse resp;
  stub_->Teardown(&call, req, &resp);
}

}  // namespace dcos::bench
