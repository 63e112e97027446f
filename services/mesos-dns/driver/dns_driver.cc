#include "services/mesos-dns/driver/dns_driver.h"

#include <algorithm>
#include <utility>

#include "libs/log/log.h"
#include "libs/masters/master_address.h"

namespace dcos::dns::driver {
namespace {

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

}  // namespace

absl::StatusOr<std::unique_ptr<DnsDriver>> DnsDriver::Start(DriverOptions options,
                                                            const clock::Clock* clock,
                                                            OnPublish on_publish) {
  if (options.zk.empty() && options.follower.static_masters.empty()) {
    return absl::InvalidArgumentError("no master to follow: give dcos-zk members or masters");
  }
  absl::StatusOr<std::unique_ptr<core::RecordBuilder>> builder =
      core::RecordBuilder::Create(options.records);
  if (!builder.ok()) return builder.status();
  std::unique_ptr<DnsDriver> driver(
      new DnsDriver(std::move(options), clock, std::move(on_publish), *std::move(builder)));
  DnsDriver* d = driver.get();
  d->loop_ = std::thread([d] { d->Loop(); });
  if (!d->options_.zk.empty()) {
    masters::ZkLeaderOptions zo = d->options_.zk_leader;
    zo.ensemble = d->options_.zk;
    d->zk_ = masters::ZkLeaderSource::Start(
        zo, [d](std::optional<common::v1::MasterInfo> leader) {
          Item item;
          item.kind = Item::kZkLeader;
          item.leader = std::move(leader);
          d->Push(std::move(item));
        });
  }
  return driver;
}

DnsDriver::DnsDriver(DriverOptions options, const clock::Clock* clock, OnPublish on_publish,
                     std::unique_ptr<core::RecordBuilder> builder)
    : options_(std::move(options)),
      clock_(clock),
      on_publish_(std::move(on_publish)),
      builder_(std::move(builder)),
      follower_(options_.follower),
      holder_(std::make_unique<server::SnapshotHolder>(builder_->Publish())) {}

void DnsDriver::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    stop_ = true;
  }
  zk_.reset();
  if (loop_.joinable()) loop_.join();
}

DriverStatus DnsDriver::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

void DnsDriver::Push(Item item) {
  absl::MutexLock lock(&mu_);
  if (stop_) return;
  queue_.push_back(std::move(item));
}

absl::Status DnsDriver::Inspect(std::function<void(const core::RecordBuilder&)> fn,
                                absl::Duration timeout) {
  struct Call {
    absl::Mutex mu;
    bool done = false;
    bool abandoned = false;
  };
  auto call = std::make_shared<Call>();
  Item item;
  item.kind = Item::kTask;
  item.task = [this, call, fn = std::move(fn)] {
    absl::MutexLock lock(&call->mu);
    if (call->abandoned) return;
    fn(*builder_);
    call->done = true;
  };
  {
    absl::MutexLock lock(&mu_);
    if (stop_) return absl::UnavailableError("dcos-dns is stopping");
    queue_.push_back(std::move(item));
  }
  absl::MutexLock lock(&call->mu);
  if (!call->mu.AwaitWithTimeout(absl::Condition(&call->done), timeout)) {
    call->abandoned = true;
    return absl::DeadlineExceededError("the driver is busy");
  }
  return absl::OkStatus();
}

void DnsDriver::Loop() {
  while (true) {
    std::deque<Item> items;
    {
      absl::MutexLock lock(&mu_);
      const absl::Duration wait =
          std::clamp(follower_.NextWake() - clock_->Now(), absl::ZeroDuration(), absl::Seconds(1));
      mu_.AwaitWithTimeout(
          absl::Condition(+[](DnsDriver* d) { return d->stop_ || !d->queue_.empty(); }, this),
          wait);
      if (stop_) break;
      items.swap(queue_);
    }
    const absl::Time now = clock_->Now();
    Origins origins;
    for (Item& item : items) Handle(item, now, origins);
    if (builder_->dirty()) {
      std::shared_ptr<const core::RecordSet> snapshot = builder_->Publish();
      holder_->Store(snapshot);
      PublishInfo info;
      info.records = snapshot.get();
      info.published_at = clock_->Now();
      for (absl::Time t : origins.received) info.since_received.push_back(info.published_at - t);
      for (absl::Time t : origins.status) info.since_status.push_back(info.published_at - t);
      if (on_publish_) on_publish_(info);
    }
    Act(clock_->Now());
    UpdateStatus();
  }
  stream_.reset();
}

void DnsDriver::Handle(Item& item, absl::Time now, Origins& origins) {
  switch (item.kind) {
    case Item::kEvent: {
      if (stream_ == nullptr || item.attempt != follower_.attempt()) return;  // a dropped stream
      const master::v1::OperatorEvent& event = item.event;
      if (event.has_subscribed()) {
        follower_.OnSubscribed(item.attempt, FromProto(event.subscribed().heartbeat_interval()),
                               now);
        log::Info("subscribed to the master")
            .Field("master", follower_.target())
            .Field("agents", event.subscribed().state().agents_size())
            .Field("tasks", event.subscribed().state().tasks_size());
        ++resyncs_;
      } else {
        follower_.OnEvent(item.attempt, now);
      }
      builder_->Apply(event);
      if (event.has_task_added() || event.has_task_updated()) {
        origins.received.push_back(item.received);
        if (event.has_task_updated() && event.task_updated().status().has_timestamp()) {
          origins.status.push_back(FromProto(event.task_updated().status().timestamp()));
        }
      }
      last_event_ = item.received;
      return;
    }
    case Item::kEnded: {
      if (item.attempt != follower_.attempt()) return;
      MasterFollower::End end{masters::RedirectTarget(item.end), item.end.ToString()};
      if (follower_.phase() != MasterFollower::Phase::kIdle && follower_.failures() == 0) {
        // Logged once per outage; later failures of the same outage at debug level.
        log::Warn("master stream ended")
            .Field("master", follower_.target())
            .Field("error", item.end)
            .Field("redirect", end.redirect);
      } else {
        log::Debug("master stream ended")
            .Field("master", follower_.target())
            .Field("error", item.end);
      }
      follower_.OnEnded(item.attempt, end, now);
      stream_.reset();
      return;
    }
    case Item::kZkLeader: {
      std::string address = item.leader ? masters::MasterAddress(*item.leader) : "";
      log::Info("dcos-zk names the leading master").Field("master", address.empty() ? "-" : address);
      follower_.SetZkLeader(address.empty() ? std::nullopt : std::optional<std::string>(address),
                            now);
      if (item.leader) builder_->SetLeader(&*item.leader);
      return;
    }
    case Item::kTask:
      item.task();
      return;
  }
}

void DnsDriver::Act(absl::Time now) {
  // A drop is followed by at most one connection; a connection is final.
  for (int i = 0; i < 3; ++i) {
    MasterFollower::Action action = follower_.Poll(now);
    if (action.kind == MasterFollower::Action::kNone) return;
    stream_.reset();
    if (action.kind != MasterFollower::Action::kConnect) continue;
    const uint64_t attempt = action.attempt;
    log::Debug("subscribing to a master").Field("master", action.target).Field("attempt", attempt);
    stream_ = MasterStream::Open(
        action.target,
        [this, attempt](master::v1::OperatorEvent event) {
          Item item;
          item.kind = Item::kEvent;
          item.attempt = attempt;
          item.event = std::move(event);
          item.received = clock_->Now();
          Push(std::move(item));
        },
        [this, attempt](const absl::Status& end) {
          Item item;
          item.kind = Item::kEnded;
          item.attempt = attempt;
          item.end = end;
          Push(std::move(item));
        });
    absl::MutexLock lock(&mu_);
    ++status_.attempts;
    return;
  }
}

void DnsDriver::UpdateStatus() {
  absl::MutexLock lock(&mu_);
  status_.connected = follower_.phase() == MasterFollower::Phase::kStreaming;
  status_.master = follower_.target();
  status_.last_error = follower_.last_error();
  status_.zk_following = zk_ != nullptr && zk_->following();
  status_.resyncs = resyncs_;
  status_.last_event = last_event_;
}

}  // namespace dcos::dns::driver
