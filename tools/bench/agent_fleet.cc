#include "tools/bench/agent_fleet.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/client_callback.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <queue>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "protos/master/v1/agent_channel.grpc.pb.h"

namespace dcos::bench {

namespace mv1 = dcos::master::v1;
namespace cv1 = dcos::common::v1;

namespace {

cv1::Resource Scalar(const std::string& name, double value) {
  cv1::Resource r;
  r.set_name(name);
  r.set_type(cv1::Value::TYPE_SCALAR);
  r.mutable_scalar()->set_value(value);
  return r;
}

// What agent `a` reports: its info (24 cpus, 64 GiB) and its RUNNING tasks, 1 cpu and 1 GiB
// each, spread over the frameworks.
mv1::AgentMessage Report(int a, const AgentFleetOptions& o) {
  mv1::AgentMessage m;
  mv1::Reregister* r = m.mutable_reregister_agent();
  cv1::AgentInfo* info = r->mutable_agent_info();
  info->mutable_id()->set_value(absl::StrCat("bench-S", a));
  info->mutable_address()->set_hostname(absl::StrCat("agent-", a));
  info->mutable_address()->set_ip(
      absl::StrCat("10.", a / 65536, ".", (a / 256) % 256, ".", a % 256));
  info->mutable_address()->set_port(5051);
  *info->add_resources() = Scalar("cpus", 24);
  *info->add_resources() = Scalar("mem", 65536);
  *info->add_resources() = Scalar("disk", 1 << 20);
  for (int f = 0; f < o.frameworks && f < o.tasks_per_agent; ++f) {
    cv1::FrameworkInfo* fw = r->add_frameworks();
    fw->set_user("root");
    fw->set_name(absl::StrCat("bench-fw-", f));
    fw->mutable_id()->set_value(absl::StrCat("bench-F", f));
    fw->mutable_failover_timeout()->set_seconds(3600);
  }
  for (int t = 0; t < o.tasks_per_agent; ++t) {
    cv1::Task* task = r->add_tasks();
    task->mutable_task_id()->set_value(absl::StrCat("task-", a, "-", t));
    task->mutable_framework_id()->set_value(absl::StrCat("bench-F", t % o.frameworks));
    *task->mutable_agent_id() = info->id();
    task->set_name(absl::StrCat("task-", a, "-", t));
    task->set_state(cv1::TASK_RUNNING);
    *task->add_resources() = Scalar("cpus", 1);
    *task->add_resources() = Scalar("mem", 1024);
  }
  return m;
}

// A message as the bytes gRPC sends, made once: an agent's report is the same on every
// attempt, and serializing it again for each (10,000 at once after a failover) cost the fleet
// a quarter of the thread that starts the streams; each real agent pays that on its own host.
grpc::ByteBuffer Serialized(const mv1::AgentMessage& m) {
  std::string bytes = m.SerializeAsString();
  grpc::Slice slice(std::move(bytes));
  return grpc::ByteBuffer(&slice, 1);
}

using AgentStub = grpc::TemplatedGenericStub<grpc::ByteBuffer, mv1::MasterMessage>;
constexpr char kConnectMethod[] = "/dcos.master.v1.AgentChannel/Connect";

}  // namespace

class AgentStream;

class AgentFleet::Impl {
 public:
  explicit Impl(AgentFleetOptions options) : options_(options), rng_(options.seed) {
    agents_.resize(options_.agents);
    for (int a = 0; a < options_.agents; ++a) {
      agents_[a].report = Serialized(Report(a, options_));
    }
    timer_ = std::thread([this] { TimerLoop(); });
  }
  ~Impl() { Stop(); }

  void SetTarget(const std::string& address);
  void Stop();

  // AgentStream's reports.
  void Registered(int a);
  void Ended(int a, AgentStream* stream, const grpc::Status& status);

  int registered() const { return registered_.load(); }
  int64_t answers() const { return answers_.load(); }
  int64_t failed_attempts() const { return failed_.load(); }
  std::map<std::string, int64_t> failures() const {
    absl::MutexLock lock(&mu_);
    return failures_;
  }
  std::vector<absl::Time> registered_at() const {
    absl::MutexLock lock(&mu_);
    std::vector<absl::Time> out;
    for (const Agent& a : agents_) out.push_back(a.registered ? a.registered_at : absl::InfinitePast());
    return out;
  }

 private:
  struct Agent {
    grpc::ByteBuffer report;  // serialized once
    AgentStream* stream = nullptr;  // the live stream, if any
    std::string stream_target;      // where it goes
    bool woken = false;             // the stream was ended for a new target: follow at once
    bool registered = false;
    absl::Time registered_at = absl::InfinitePast();
    int attempts = 0;
    bool waiting = false;  // in the timer queue
  };

  // Starts the streams (mu_ not held), on options_.starters threads at once.
  void StartAll(const std::vector<AgentStream*>& streams);
  // A new stream for agent `a` to the target, to be Started once mu_ is released.
  AgentStream* Connect(int a) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void TimerLoop();

  const AgentFleetOptions options_;
  mutable absl::Mutex mu_;
  std::vector<Agent> agents_ ABSL_GUARDED_BY(mu_);
  std::string target_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::unique_ptr<AgentStub>>> stubs_
      ABSL_GUARDED_BY(mu_);
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
  // (when, agent): reconnections waiting for their backoff.
  std::priority_queue<std::pair<absl::Time, int>, std::vector<std::pair<absl::Time, int>>,
                      std::greater<>>
      timers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> failures_ ABSL_GUARDED_BY(mu_);
  int live_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int> registered_{0};
  std::atomic<int64_t> answers_{0};
  std::atomic<int64_t> failed_{0};
  std::thread timer_;
};

// One stream of one agent. Made under the fleet's lock, started (Start) outside it: gRPC
// callbacks take that lock, and 10,000 calls started under it would hold them all up. Owned
// by gRPC once started, until OnDone, which reports to the fleet and deletes it. The first
// write is the agent's report (borrowed from the fleet, which outlives every stream); pongs
// follow through a small queue, one write in flight at a time.
class AgentStream final : public grpc::ClientBidiReactor<grpc::ByteBuffer, mv1::MasterMessage> {
 public:
  AgentStream(AgentFleet::Impl* fleet, int agent, AgentStub* stub, const grpc::ByteBuffer* report)
      : fleet_(fleet), agent_(agent), stub_(stub), report_(report) {}

  void Start() {
    stub_->PrepareBidiStreamingCall(&context_, kConnectMethod, grpc::StubOptions(), this);
    {
      absl::MutexLock lock(&mu_);
      writing_ = true;
    }
    StartWrite(report_);
    StartRead(&in_);
    StartCall();
  }

  void Cancel() { context_.TryCancel(); }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (in_.has_reregistered() || in_.has_registered()) fleet_->Registered(agent_);
    if (in_.has_ping()) {
      mv1::AgentMessage pong;
      pong.mutable_pong()->set_sequence(in_.ping().sequence());
      Send(Serialized(pong));
    }
    StartRead(&in_);
  }
  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    if (sent_report_) out_.pop_front();
    sent_report_ = true;
    writing_ = ok && !out_.empty();
    if (writing_) StartWrite(&out_.front());
  }
  void OnDone(const grpc::Status& status) override {
    fleet_->Ended(agent_, this, status);
    delete this;
  }

 private:
  void Send(grpc::ByteBuffer m) {
    absl::MutexLock lock(&mu_);
    out_.push_back(std::move(m));
    if (!writing_) {
      writing_ = true;
      StartWrite(&out_.front());
    }
  }

  AgentFleet::Impl* const fleet_;
  const int agent_;
  AgentStub* const stub_;
  const grpc::ByteBuffer* const report_;
  grpc::ClientContext context_;
  mv1::MasterMessage in_;
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;      // a write in flight
  bool sent_report_ ABSL_GUARDED_BY(mu_) = false;  // the report's write completed
  std::deque<grpc::ByteBuffer> out_ ABSL_GUARDED_BY(mu_);  // pongs
};

void AgentFleet::Impl::SetTarget(const std::string& address) {
  std::vector<AgentStream*> start;
  absl::ReleasableMutexLock lock(&mu_);
  if (stopping_) return;
  const bool first = target_.empty();
  target_ = address;
  if (stubs_.count(address) == 0) {
    auto& stubs = stubs_[address];
    for (int c = 0; c < options_.channels; ++c) {
      grpc::ChannelArguments args;
      args.SetInt("dcos.bench.channel", c);  // its own subchannel, so its own TCP connection
      args.SetMaxReceiveMessageSize(64 << 20);
      stubs.push_back(std::make_unique<AgentStub>(
          grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args)));
    }
  }
  for (int a = 0; a < options_.agents; ++a) {
    Agent& agent = agents_[a];
    if (first || agent.waiting) {
      agent.waiting = false;
      agent.attempts = 0;
      start.push_back(Connect(a));
    } else if (agent.stream != nullptr && agent.stream_target != address && !agent.woken) {
      // As MasterLink::LeaderChanged: leave the old master; Ended reconnects at once.
      agent.woken = true;
      agent.stream->Cancel();
    }
  }
  lock.Release();
  StartAll(start);
}

void AgentFleet::Impl::StartAll(const std::vector<AgentStream*>& streams) {
  // Real agents each start their own stream on their own host; one thread starting 10,000
  // (~50 us each) would pace the wave by itself. A few threads share them.
  const size_t threads = static_cast<size_t>(std::max(1, options_.starters));
  const size_t per = (streams.size() + threads - 1) / threads;
  std::vector<std::thread> starters;
  for (size_t first = 0; first < streams.size(); first += per) {
    starters.emplace_back([&streams, first, per] {
      const size_t last = std::min(streams.size(), first + per);
      for (size_t i = first; i < last; ++i) streams[i]->Start();
    });
  }
  for (std::thread& t : starters) t.join();
}

AgentStream* AgentFleet::Impl::Connect(int a) {
  Agent& agent = agents_[a];
  auto& stubs = stubs_[target_];
  ++live_;
  agent.stream_target = target_;
  agent.stream = new AgentStream(this, a, stubs[a % stubs.size()].get(), &agent.report);
  return agent.stream;
}

void AgentFleet::Impl::Registered(int a) {
  answers_.fetch_add(1);
  absl::MutexLock lock(&mu_);
  Agent& agent = agents_[a];
  if (agent.registered) return;
  agent.registered = true;
  agent.registered_at = absl::Now();
  agent.attempts = 0;
  registered_.fetch_add(1);
}

void AgentFleet::Impl::Ended(int a, AgentStream* stream, const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  --live_;
  Agent& agent = agents_[a];
  if (agent.stream != stream) return;
  agent.stream = nullptr;
  if (agent.registered) {
    agent.registered = false;
    registered_.fetch_sub(1);
  } else {
    failed_.fetch_add(1);
    ++failures_[absl::StrCat(status.error_code(), " ", status.error_message().substr(0, 160))];
  }
  if (stopping_) return;
  agent.waiting = true;
  if (agent.woken) {
    // Ended for a new target: no backoff (the timer thread connects it, not this gRPC
    // callback).
    agent.woken = false;
    agent.attempts = 0;
    timers_.push({absl::InfinitePast(), a});
    return;
  }
  absl::Duration bound = options_.initial_backoff * (int64_t{1} << std::min(agent.attempts, 20));
  if (bound > options_.max_backoff) bound = options_.max_backoff;
  ++agent.attempts;
  std::uniform_int_distribution<int64_t> jitter(0, absl::ToInt64Microseconds(bound));
  timers_.push({absl::Now() + absl::Microseconds(jitter(rng_)), a});
}

void AgentFleet::Impl::TimerLoop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    absl::Time now = absl::Now();
    std::vector<AgentStream*> start;
    while (!timers_.empty() && timers_.top().first <= now) {
      int a = timers_.top().second;
      timers_.pop();
      // SetTarget may have connected it already.
      if (agents_[a].waiting) {
        agents_[a].waiting = false;
        start.push_back(Connect(a));
      }
    }
    if (!start.empty()) {
      mu_.Unlock();
      for (AgentStream* stream : start) stream->Start();
      mu_.Lock();
      continue;  // more may be due by now
    }
    absl::Time next = timers_.empty() ? now + absl::Milliseconds(50) : timers_.top().first;
    // Also woken by a timer due sooner than `next` (an agent to reconnect at once).
    auto woken = [this, &next]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || (!timers_.empty() && timers_.top().first < next);
    };
    mu_.AwaitWithDeadline(absl::Condition(&woken), next);
  }
}

void AgentFleet::Impl::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && !timer_.joinable()) return;
    stopping_ = true;
    for (Agent& agent : agents_) {
      if (agent.stream != nullptr) agent.stream->Cancel();
    }
  }
  if (timer_.joinable()) timer_.join();
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return live_ == 0; };
  mu_.Await(absl::Condition(&done));
}

AgentFleet::AgentFleet(AgentFleetOptions options) : impl_(std::make_unique<Impl>(options)) {}
AgentFleet::~AgentFleet() { impl_->Stop(); }
void AgentFleet::SetTarget(const std::string& address) { impl_->SetTarget(address); }
int AgentFleet::registered() const { return impl_->registered(); }
int64_t AgentFleet::answers() const { return impl_->answers(); }
std::vector<absl::Time> AgentFleet::registered_at() const { return impl_->registered_at(); }
int64_t AgentFleet::failed_attempts() const { return impl_->failed_attempts(); }
std::map<std::string, int64_t> AgentFleet::failures() const { return impl_->failures(); }
void AgentFleet::Stop() { impl_->Stop(); }

}  // namespace dcos::bench
