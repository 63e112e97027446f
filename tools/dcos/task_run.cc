// `dcos task run`: a one-task framework on the Scheduler API, like mesos-execute.
//
// It subscribes without a failover timeout, so if it dies the master removes it and kills its
// task; it launches on the first offer that fits (declining the others), suppresses further
// offers, prints every state change, acknowledges it, and tears itself down at the end.

#include <pwd.h>
#include <unistd.h>

#include <deque>
#include <optional>
#include <random>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "libs/masters/master_address.h"
#include "libs/resources/resources.h"
#include "libs/status/grpc_status.h"
#include "protos/master/v1/scheduler.grpc.pb.h"
#include "tools/dcos/task_commands.h"

namespace dcos::cli {
namespace {

namespace mv1 = master::v1;
namespace cv1 = common::v1;

bool IsTerminal(cv1::TaskState s) {
  return s == cv1::TASK_FINISHED || s == cv1::TASK_FAILED || s == cv1::TASK_KILLED ||
         s == cv1::TASK_ERROR || s == cv1::TASK_LOST || s == cv1::TASK_DROPPED ||
         s == cv1::TASK_GONE || s == cv1::TASK_GONE_BY_OPERATOR;
}

std::string CurrentUser() {
  passwd* pw = getpwuid(geteuid());
  return pw != nullptr ? pw->pw_name : "root";
}

std::string TaskId(const std::string& name) {
  std::random_device device;
  return absl::StrFormat("%s.%08x", name, device());
}

// The total of scalar `name` in `offer` not reserved for a role; 0 if the offer's resources do not parse.
double ScalarOf(const cv1::Offer& offer, const std::string& name) {
  absl::StatusOr<resources::Resources> r = resources::Resources::FromProto(offer.resources());
  return r.ok() ? r->Unreserved().Scalar(name) : 0;
}

// The subscription: events read on a thread of their own, taken with a timeout.
class Subscription {
 public:
  Subscription(mv1::Scheduler::Stub* stub, const cv1::FrameworkInfo& info) {
    mv1::SubscribeRequest req;
    *req.mutable_framework_info() = info;
    stream_ = stub->Subscribe(&context_, req);
    reader_ = std::thread([this] {
      mv1::Event e;
      while (stream_->Read(&e)) {
        absl::MutexLock lock(&mu_);
        events_.push_back(e);
      }
      grpc::Status end = stream_->Finish();
      absl::MutexLock lock(&mu_);
      ended_ = true;
      end_ = end;
    });
  }
  ~Subscription() {
    context_.TryCancel();
    reader_.join();
  }

  // The next event; nullopt when the stream ended (see end()) or at the deadline.
  std::optional<mv1::Event> Next(absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ended_ || !events_.empty(); };
    mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
    if (events_.empty()) return std::nullopt;
    mv1::Event e = std::move(events_.front());
    events_.pop_front();
    return e;
  }
  bool ended() {
    absl::MutexLock lock(&mu_);
    return ended_ && events_.empty();
  }
  grpc::Status end() {
    absl::MutexLock lock(&mu_);
    return end_;
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<mv1::Event>> stream_;
  absl::Mutex mu_;
  std::deque<mv1::Event> events_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status end_ ABSL_GUARDED_BY(mu_);
  std::thread reader_;
};

// OneTask::Run's answer when a standby refused the subscription and named the leader.
constexpr int kRedirected = -1;

class OneTask {
 public:
  OneTask(const Context& ctx, const TaskRunOptions& o)
      : ctx_(ctx),
        o_(o),
        stub_(mv1::Scheduler::NewStub(
            grpc::CreateChannel(o.master, grpc::InsecureChannelCredentials()))) {}

  // The leader a standby named (after Run returned kRedirected).
  const std::string& redirect() const { return redirect_; }

  int Run() {
    cv1::FrameworkInfo info;
    info.set_user(CurrentUser());
    info.set_name("dcos task run");
    info.add_capabilities()->set_type(cv1::FrameworkInfo::Capability::TYPE_TASK_KILLING_STATE);
    Subscription sub(stub_.get(), info);
    const absl::Time deadline = absl::Now() + ctx_.timeout;

    // SUBSCRIBED, then an offer that fits.
    std::string task_id = TaskId(o_.name);
    bool launched = false;
    while (!launched) {
      std::optional<mv1::Event> e = sub.Next(deadline);
      if (!e.has_value()) return Ended(sub, "waiting for an offer");
      if (e->has_subscribed()) {
        framework_id_ = e->subscribed().framework_id().value();
        stream_id_ = e->subscribed().stream_id();
        *ctx_.out << "Subscribed with framework ID " << framework_id_ << "\n";
      } else if (e->has_offers()) {
        for (const cv1::Offer& offer : e->offers().offers()) {
          if (!launched && ScalarOf(offer, "cpus") >= o_.cpus && ScalarOf(offer, "mem") >= o_.mem) {
            if (!Launch(offer, task_id)) return kExitError;
            launched = true;
          } else {
            Decline(offer);
          }
        }
      } else if (e->has_error()) {
        *ctx_.err << "dcos task run: the master refused: " << e->error().message() << "\n";
        return kExitError;
      }
    }
    Suppress();

    // State changes until the end.
    for (;;) {
      std::optional<mv1::Event> e = sub.Next(absl::InfiniteFuture());
      if (!e.has_value()) return Ended(sub, "while the task ran");
      if (e->has_offers()) {
        for (const cv1::Offer& offer : e->offers().offers()) Decline(offer);
        continue;
      }
      if (e->has_error()) {
        *ctx_.err << "dcos task run: the master ended the subscription: " << e->error().message()
                  << "\n";
        return kExitError;
      }
      if (!e->has_update() || e->update().status().task_id().value() != task_id) continue;
      const cv1::TaskStatus& s = e->update().status();
      *ctx_.out << cv1::TaskState_Name(s.state());
      if (!s.message().empty()) *ctx_.out << ": " << s.message();
      *ctx_.out << "\n";
      ctx_.out->flush();
      if (!s.uuid().empty()) Acknowledge(s);
      if (IsTerminal(s.state())) {
        Teardown();
        return s.state() == cv1::TASK_FINISHED ? kExitOk : kExitError;
      }
    }
  }

 private:
  int Ended(Subscription& sub, const std::string& when) {
    if (sub.ended()) {
      grpc::Status end = sub.end();
      if (framework_id_.empty()) {
        // A standby refused the subscription and named the leader: subscribe there instead.
        redirect_ = masters::RedirectTarget(status::FromGrpc(end));
        if (!redirect_.empty() && redirect_ != o_.master) return kRedirected;
      }
      *ctx_.err << "dcos task run: the master at " << o_.master << " ended the subscription "
                << when << ": " << end.error_message() << "\n";
    } else {
      *ctx_.err << "dcos task run: no offer with cpus:" << o_.cpus << ";mem:" << o_.mem
                << " within " << absl::FormatDuration(ctx_.timeout)
                << " (is an agent with enough free resources registered with " << o_.master
                << "?)\n";
    }
    return kExitError;
  }

  template <typename Request>
  void Identify(Request* r) {
    r->mutable_framework_id()->set_value(framework_id_);
    r->set_stream_id(stream_id_);
  }

  bool Launch(const cv1::Offer& offer, const std::string& task_id) {
    mv1::AcceptRequest req;
    Identify(&req);
    *req.add_offer_ids() = offer.id();
    cv1::TaskInfo* t = req.add_operations()->mutable_launch()->add_task_infos();
    t->set_name(o_.name);
    t->mutable_task_id()->set_value(task_id);
    *t->mutable_agent_id() = offer.agent_id();
    t->mutable_command()->set_value(o_.command);
    for (const cv1::CommandURI& uri : o_.uris) *t->mutable_command()->add_uris() = uri;
    for (const auto& [name, value] : o_.env) {
      auto* v = t->mutable_command()->mutable_environment()->add_variables();
      v->set_name(name);
      v->set_value(value);
    }
    resources::Resources::CpusMem(o_.cpus, o_.mem).ToProto(t->mutable_resources());
    grpc::ClientContext call;
    mv1::AcceptResponse resp;
    grpc::Status s = stub_->Accept(&call, req, &resp);
    if (!s.ok()) {
      *ctx_.err << "dcos task run: Accept: " << s.error_message() << "\n";
      return false;
    }
    *ctx_.out << "Launched task " << task_id << " on agent " << offer.hostname() << " ("
              << offer.agent_id().value() << ")\n";
    return true;
  }

  void Decline(const cv1::Offer& offer) {
    mv1::DeclineRequest req;
    Identify(&req);
    *req.add_offer_ids() = offer.id();
    grpc::ClientContext call;
    mv1::DeclineResponse resp;
    stub_->Decline(&call, req, &resp);
  }

  void Suppress() {
    mv1::SuppressRequest req;
    Identify(&req);
    grpc::ClientContext call;
    mv1::SuppressResponse resp;
    stub_->Suppress(&call, req, &resp);
  }

  void Acknowledge(const cv1::TaskStatus& s) {
    mv1::AcknowledgeRequest req;
    Identify(&req);
    *req.mutable_agent_id() = s.agent_id();
    *req.mutable_task_id() = s.task_id();
    req.set_uuid(s.uuid());
    grpc::ClientContext call;
    mv1::AcknowledgeResponse resp;
    stub_->Acknowledge(&call, req, &resp);
  }

  void Teardown() {
    mv1::TeardownRequest req;
    Identify(&req);
    grpc::ClientContext call;
    mv1::TeardownResponse resp;
    stub_->Teardown(&call, req, &resp);
  }

  const Context& ctx_;
  const TaskRunOptions& o_;
  std::unique_ptr<mv1::Scheduler::Stub> stub_;
  std::string framework_id_;
  std::string stream_id_;
  std::string redirect_;
};

}  // namespace

int TaskRun(const Context& ctx, const TaskRunOptions& options) {
  TaskRunOptions o = options;
  // A standby's refusal names the leader; a few hops cover a leader that changes meanwhile.
  for (int hop = 0; hop < 3; ++hop) {
    OneTask task(ctx, o);
    int rc = task.Run();
    if (rc != kRedirected) return rc;
    o.master = task.redirect();
  }
  *ctx.err << "dcos task run: the masters kept redirecting; last named " << o.master << "\n";
  return kExitError;
}

}  // namespace dcos::cli
