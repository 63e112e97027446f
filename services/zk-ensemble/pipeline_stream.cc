// ZkService::Pipeline: many operations on one stream, results in the order sent. A callback
// reactor: no thread of its own. Each op runs through the same Start* function as its own RPC
// and finishes into its slot; finished slots at the front go out together in one message,
// while the previous message is being written (so the busier the stream, the bigger the
// batches). A read waits for the stream's earlier writes (it must see them); writes are
// proposed in the order sent. The stream never finishes while an op is in flight (the op's
// callback points into it); Raft answers every op within its request timeout.

#include <chrono>
#include <deque>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/status/grpc_status.h"
#include "services/zk-ensemble/core/errors.h"
#include "services/zk-ensemble/zk_service.h"

namespace dcos::zk {

namespace {

constexpr int kMaxBatchOps = 10000;
// Ops read but not yet answered beyond which the stream stops reading (backpressure).
constexpr size_t kMaxInFlight = 20000;

bool IsWrite(const v1::PipelineOp& op) {
  switch (op.op_case()) {
    case v1::PipelineOp::kCreate:
    case v1::PipelineOp::kDelete:
    case v1::PipelineOp::kSetData:
    case v1::PipelineOp::kMulti:
      return true;
    default:
      return false;
  }
}

}  // namespace

class ZkService::PipelineStream final
    : public grpc::ServerBidiReactor<v1::PipelineRequest, v1::PipelineResponse> {
 public:
  using Mailbox = StreamMailbox;

  explicit PipelineStream(ZkService* service)
      : service_(service), mailbox_(std::make_shared<Mailbox>()) {
    service_->pipelines_.fetch_add(1, std::memory_order_relaxed);
    {
      absl::MutexLock lock(&mailbox_->mu);
      mailbox_->pipeline = this;
    }
    if (!service_->AddStream(mailbox_)) {
      End(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                       "this member is shutting down; try another member"));
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      reading_ = true;
    }
    StartRead(&in_);
  }

  // Ends the stream behind `mailbox` with `status`, if it is still there (see SessionStream's
  // Visit: while an action is pending the stream cannot be deleted).
  static void EndVia(const std::shared_ptr<Mailbox>& mailbox, const grpc::Status& status) {
    PipelineStream* stream;
    Next next;
    {
      absl::MutexLock lock(&mailbox->mu);
      stream = mailbox->pipeline;
      if (stream == nullptr) return;
      next = stream->EndAndNext(status);
    }
    stream->Do(next);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client closed its side (or the call ended): finish once all is answered
      Next next;
      {
        absl::MutexLock lock(&mu_);
        reading_ = false;
        client_done_ = true;
        next = NextLocked();
      }
      return Do(next);
    }
    if (in_.ops_size() == 0 || in_.ops_size() > kMaxBatchOps) {
      Next next;
      {
        absl::MutexLock lock(&mu_);
        reading_ = false;
        next = EndLocked(grpc::Status(
            grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("ops: ", in_.ops_size(), " ops; a Pipeline batch takes 1 to ",
                         kMaxBatchOps)));
      }
      return Do(next);
    }
    std::vector<Slot*> start;
    const auto now = std::chrono::steady_clock::now();
    service_->outstanding_.fetch_add(in_.ops_size(), std::memory_order_relaxed);
    {
      absl::MutexLock lock(&mu_);
      reading_ = false;
      dispatching_ = true;  // results of this batch answered inline go out together
      for (v1::PipelineOp& op : *in_.mutable_ops()) {
        Slot& slot = slots_.emplace_back();
        slot.read_at = now;
        slot.op = std::move(op);
        slot.write = IsWrite(slot.op);
        if (slot.write) {
          ++unanswered_writes_;
          start.push_back(&slot);
        } else if (unanswered_writes_ == 0) {
          start.push_back(&slot);
        } else {
          slot.deferred = true;  // started when the writes before it are answered
        }
      }
    }
    in_.Clear();
    for (Slot* slot : start) Run(slot);
    Next next;
    {
      absl::MutexLock lock(&mu_);
      dispatching_ = false;
      next = NextLocked();
    }
    Do(next);
  }

  void OnWriteDone(bool ok) override {
    Next next;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      out_.Clear();
      if (!ok && !finish_.has_value()) finish_ = grpc::Status::OK;  // the call is over
      next = NextLocked();
    }
    Do(next);
  }

  void OnCancel() override { End(grpc::Status::CANCELLED); }

  void OnDone() override {
    {
      absl::MutexLock lock(&mailbox_->mu);
      mailbox_->pipeline = nullptr;
    }
    service_->RemoveStream(mailbox_);
    service_->pipelines_.fetch_sub(1, std::memory_order_relaxed);
    delete this;
  }

 private:
  // One op, from the read to the write of its result. Slots live in a deque, so an op in
  // flight keeps its address while others are added behind it or answered ahead of it.
  struct Slot {
    v1::PipelineOp op;
    v1::PipelineResult result;
    bool write = false;
    bool deferred = false;  // a read waiting for earlier writes of the stream
    bool done = false;
    std::chrono::steady_clock::time_point read_at;  // when its batch was read
  };

  // What to do once mu_ is released: gRPC is never called with mu_ held.
  struct Next {
    const v1::PipelineResponse* write = nullptr;
    bool read = false;
    std::optional<grpc::Status> finish;
  };

  // Runs the op; its result lands in its slot (now or from another thread).
  void Run(Slot* slot) {
    auto finish = [this, slot](grpc::Status status) { Answered(slot, std::move(status)); };
    const v1::PipelineOp& op = slot->op;
    v1::PipelineResult& r = slot->result;
    switch (op.op_case()) {
      case v1::PipelineOp::kCreate:
        return service_->StartCreate(op.create(), r.mutable_create(), finish);
      case v1::PipelineOp::kDelete:
        return service_->StartDelete(op.delete_(), r.mutable_delete_(), finish);
      case v1::PipelineOp::kSetData:
        return service_->StartSetData(op.set_data(), r.mutable_set_data(), finish);
      case v1::PipelineOp::kMulti:
        return service_->StartMulti(op.multi(), r.mutable_multi(), finish);
      case v1::PipelineOp::kExists:
        return service_->StartExists(op.exists(), r.mutable_exists(), finish);
      case v1::PipelineOp::kGetData:
        return service_->StartGetData(op.get_data(), r.mutable_get_data(), finish);
      case v1::PipelineOp::kGetChildren:
        return service_->StartGetChildren(op.get_children(), r.mutable_get_children(), finish);
      case v1::PipelineOp::OP_NOT_SET:
        break;
    }
    finish(status::ToGrpc(ZkStatus(ZkCode::kBadArguments, "", "the op names no operation")));
  }

  void Answered(Slot* slot, grpc::Status status) {
    service_->outstanding_.fetch_sub(1, std::memory_order_relaxed);
    if (prometheus::Histogram* h =
            service_->pipeline_op_seconds_[static_cast<size_t>(slot->op.op_case())]) {
      h->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - slot->read_at)
                     .count());
    }
    std::vector<Slot*> start;
    Next next;
    {
      absl::MutexLock lock(&mu_);
      v1::PipelineResult& r = slot->result;
      if (!status.ok()) {
        r.clear_response();
        r.set_code(static_cast<int32_t>(status.error_code()));
        r.set_message(status.error_message());
        r.set_details(status.error_details());
      }
      slot->done = true;
      if (slot->write) {
        --unanswered_writes_;
        start = ReadsNowFree();
      }
      next = NextLocked();
    }
    for (Slot* s : start) Run(s);
    Do(next);
  }

  // The deferred reads no unanswered write precedes any more, marked as started.
  std::vector<Slot*> ReadsNowFree() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<Slot*> free;
    for (Slot& s : slots_) {
      if (s.write && !s.done) break;
      if (s.deferred) {
        s.deferred = false;
        free.push_back(&s);
      }
    }
    return free;
  }

  void End(grpc::Status status) { Do(EndAndNext(std::move(status))); }
  Next EndAndNext(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    return EndLocked(std::move(status));
  }
  Next EndLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!finish_.has_value()) finish_ = std::move(status);
    return NextLocked();
  }

  // Moves answered ops at the front into the next message; one write at a time; reads more
  // while there is room; finishes once nothing is in flight.
  Next NextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (!slots_.empty() && slots_.front().done) {
      if (!finish_.has_value()) *pending_.add_results() = std::move(slots_.front().result);
      slots_.pop_front();
    }
    Next next;
    if (dispatching_) return next;
    if (finish_.has_value()) {
      pending_.Clear();
      // Deferred reads never run once the stream ends: answered here, unsent.
      for (Slot& s : slots_) {
        if (s.deferred) {
          s.deferred = false;
          s.done = true;
          service_->outstanding_.fetch_sub(1, std::memory_order_relaxed);
        }
      }
      while (!slots_.empty() && slots_.front().done) slots_.pop_front();
    }
    if (!writing_ && pending_.results_size() > 0) {
      out_.Swap(&pending_);
      writing_ = true;
      next.write = &out_;
      return next;
    }
    const bool closing = finish_.has_value() || client_done_;
    if (!closing && !reading_ && slots_.size() < kMaxInFlight) {
      reading_ = true;
      next.read = true;
    }
    if (closing && !writing_ && slots_.empty() && pending_.results_size() == 0 && !finished_) {
      finished_ = true;
      next.finish = finish_.value_or(grpc::Status::OK);
    }
    return next;
  }

  void Do(const Next& next) {
    if (next.write != nullptr) StartWrite(next.write);
    if (next.read) StartRead(&in_);
    if (next.finish.has_value()) Finish(*next.finish);
  }

  ZkService* const service_;
  const std::shared_ptr<Mailbox> mailbox_;
  v1::PipelineRequest in_;  // one read at a time

  absl::Mutex mu_;
  std::deque<Slot> slots_ ABSL_GUARDED_BY(mu_);  // in the order read; front: the oldest
  int64_t unanswered_writes_ ABSL_GUARDED_BY(mu_) = 0;
  v1::PipelineResponse pending_ ABSL_GUARDED_BY(mu_);  // answered, in order, not yet written
  v1::PipelineResponse out_ ABSL_GUARDED_BY(mu_);      // the write in flight
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool dispatching_ ABSL_GUARDED_BY(mu_) = false;
  bool client_done_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> finish_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

void ZkService::EndPipelineStream(const std::shared_ptr<StreamMailbox>& mailbox,
                                  const grpc::Status& status) {
  PipelineStream::EndVia(mailbox, status);
}

grpc::ServerBidiReactor<v1::PipelineRequest, v1::PipelineResponse>* ZkService::Pipeline(
    grpc::CallbackServerContext*) {
  return new PipelineStream(this);
}

}  // namespace dcos::zk
