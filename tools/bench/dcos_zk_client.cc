#include "tools/bench/dcos_zk_client.h"

#include <chrono>
#include <deque>
#include <utility>

#include <grpcpp/alarm.h>
#include <grpcpp/create_channel.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "protos/zk/v1/zookeeper.grpc.pb.h"

namespace dcos::bench {

int LeaderFromRedirect(const std::string& message, int members) {
  const std::string kMarker = "leader is member ";
  size_t at = message.find(kMarker);
  if (at == std::string::npos) return -1;
  size_t start = at + kMarker.size();
  size_t end = message.find(' ', start);
  int id = 0;
  if (!absl::SimpleAtoi(message.substr(start, end - start), &id) || id < 1 || id > members) {
    return -1;
  }
  return id - 1;
}

std::shared_ptr<grpc::Channel> OwnChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

const char* OpName(ZkOp op) {
  switch (op) {
    case ZkOp::kSet:
      return "set";
    case ZkOp::kGet:
      return "get";
    case ZkOp::kCreate:
      return "create";
    case ZkOp::kDelete:
      return "delete";
  }
  return "?";
}

namespace {

using zk::v1::PipelineRequest;
using zk::v1::PipelineResponse;
using zk::v1::PipelineResult;
using zk::v1::ZooKeeper;

class PipelineDriver;

// One op across its attempts. Deleted when `done` ran.
struct Call : OpCall {
  grpc::Alarm alarm;  // the pause before a retry
};

void FillOp(const Call& call, zk::v1::PipelineOp* op) {
  switch (call.op) {
    case ZkOp::kSet:
      op->mutable_set_data()->set_path(call.path);
      op->mutable_set_data()->set_data(*call.data);
      break;
    case ZkOp::kGet:
      op->mutable_get_data()->set_path(call.path);
      break;
    case ZkOp::kCreate:
      op->mutable_create()->set_path(call.path);
      op->mutable_create()->set_data(*call.data);
      break;
    case ZkOp::kDelete:
      op->mutable_delete_()->set_path(call.path);
      break;
  }
}

// One Pipeline stream. Ops queued while a batch is being written go out together as the
// next batch; results come back in the order sent. Deletes itself when the call is done,
// handing every op without a result back to the driver as UNAVAILABLE.
class Stream final : public grpc::ClientBidiReactor<PipelineRequest, PipelineResponse> {
 public:
  Stream(PipelineDriver* driver, ZooKeeper::Stub* stub, int conn, int member)
      : driver_(driver), conn_(conn), member_(member) {
    stub->async()->Pipeline(&ctx_, this);
    StartRead(&in_);
    StartCall();
  }

  // False if the stream is already broken (the caller opens another).
  bool Add(Call* call) {
    bool write = false;
    {
      absl::MutexLock lock(&mu_);
      if (broken_) return false;
      waiting_.push_back(call);
      FillOp(*call, pending_.add_ops());
      if (!writing_) {
        out_.Swap(&pending_);
        pending_.Clear();
        writing_ = true;
        write = true;
      }
    }
    if (write) StartWrite(&out_);
    return true;
  }

  void Cancel() { ctx_.TryCancel(); }

  void OnWriteDone(bool ok) override {
    bool write = false;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      out_.Clear();
      if (!ok) {
        broken_ = true;
        return;
      }
      if (pending_.ops_size() > 0) {
        out_.Swap(&pending_);
        writing_ = true;
        write = true;
      }
    }
    if (write) StartWrite(&out_);
  }

  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  PipelineDriver* const driver_;
  const int conn_;
  const int member_;
  grpc::ClientContext ctx_;
  PipelineResponse in_;

  absl::Mutex mu_;
  std::deque<Call*> waiting_ ABSL_GUARDED_BY(mu_);  // sent or queued, in order
  PipelineRequest pending_ ABSL_GUARDED_BY(mu_);
  PipelineRequest out_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
};

class PipelineDriver final : public ZkDriver {
 public:
  PipelineDriver(const std::vector<std::string>& addresses, int connections)
      : members_(static_cast<int>(addresses.size())) {
    for (const std::string& a : addresses) stubs_.push_back(ZooKeeper::NewStub(OwnChannel(a)));
    for (int c = 0; c < connections; ++c) {
      conns_.emplace_back();
      conns_.back().home = c % members_;
      conns_.back().streams.assign(addresses.size(), nullptr);
    }
  }

  ~PipelineDriver() override {
    absl::MutexLock lock(&mu_);
    closing_ = true;
    for (Conn& c : conns_) {
      for (Stream* s : c.streams) {
        if (s != nullptr) s->Cancel();
      }
    }
    mu_.Await(absl::Condition(
        +[](int* live) { return *live == 0; }, &live_streams_));
  }

  int connections() const override { return static_cast<int>(conns_.size()); }

  std::string TakeFirstError() override {
    absl::MutexLock lock(&mu_);
    return std::exchange(first_error_, "");
  }

  void Issue(int conn, ZkOp op, const std::string& path, const std::string* data,
             Done done) override {
    Start(NewCall<Call>(conn, op, path, data, std::move(done)));
  }

  // A result for `call` (from `member`'s stream): done, or retried.
  void Finished(Call* call, int member, int code, const std::string& message) {
    if (code == grpc::StatusCode::UNAVAILABLE && call->attempts < 500) {
      bool pause = true;
      {
        absl::MutexLock lock(&mu_);
        if (call->op == ZkOp::kGet) {
          Conn& c = conns_[static_cast<size_t>(call->conn)];
          if (c.home == member) c.home = (member + 1) % members_;
        } else {
          int leader = LeaderFromRedirect(message, members_);
          if (leader >= 0) {
            leader_ = leader;
            pause = false;
          } else if (leader_ == member) {
            leader_ = (member + 1) % members_;
          }
        }
      }
      if (!pause) return Start(call);
      call->alarm.Set(std::chrono::system_clock::now() + std::chrono::milliseconds(10),
                      [this, call](bool) { Start(call); });
      return;
    }
    if (code != grpc::StatusCode::OK) {
      absl::MutexLock lock(&mu_);
      if (first_error_.empty()) {
        first_error_ = absl::StrCat(OpName(call->op), " ", call->path, ": ", code, " ", message);
      }
    }
    Done done = std::move(call->done);
    delete call;
    done(code == grpc::StatusCode::OK);
  }

  // The stream is done: forget it.
  void Gone(Stream* stream, int conn, int member) {
    absl::MutexLock lock(&mu_);
    Stream*& slot = conns_[static_cast<size_t>(conn)].streams[static_cast<size_t>(member)];
    if (slot == stream) slot = nullptr;
    --live_streams_;
  }

 private:
  struct Conn {
    int home = 0;                   // the member reads go to
    std::vector<Stream*> streams;   // per member; null until first used, or after it broke
  };

  void Start(Call* call) {
    ++call->attempts;
    while (true) {
      Stream* stream;
      {
        absl::MutexLock lock(&mu_);
        if (closing_) break;
        Conn& c = conns_[static_cast<size_t>(call->conn)];
        call->target = call->op == ZkOp::kGet ? c.home : leader_;
        Stream*& slot = c.streams[static_cast<size_t>(call->target)];
        if (slot == nullptr) {
          slot = new Stream(this, stubs_[static_cast<size_t>(call->target)].get(), call->conn,
                            call->target);
          ++live_streams_;
        }
        stream = slot;
        // Added under mu_: the stream cannot be deleted in between (Gone takes mu_ first).
        if (stream->Add(call)) return;
        slot = nullptr;  // broken: the next round opens another
      }
    }
    Finished(call, call->target, grpc::StatusCode::CANCELLED, "the driver is closing");
  }

  const int members_;
  std::vector<std::unique_ptr<ZooKeeper::Stub>> stubs_;
  absl::Mutex mu_;
  std::vector<Conn> conns_ ABSL_GUARDED_BY(mu_);
  int leader_ ABSL_GUARDED_BY(mu_) = 0;
  int live_streams_ ABSL_GUARDED_BY(mu_) = 0;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  std::string first_error_ ABSL_GUARDED_BY(mu_);
};

void Stream::OnReadDone(bool ok) {
  if (!ok) {
    absl::MutexLock lock(&mu_);
    broken_ = true;
    return;  // OnDone hands the rest back
  }
  std::vector<std::pair<Call*, const PipelineResult*>> answered;
  {
    absl::MutexLock lock(&mu_);
    for (const PipelineResult& r : in_.results()) {
      if (waiting_.empty()) break;  // more results than ops: the server is wrong
      answered.emplace_back(waiting_.front(), &r);
      waiting_.pop_front();
    }
  }
  for (auto& [call, r] : answered) driver_->Finished(call, member_, r->code(), r->message());
  StartRead(&in_);
}

void Stream::OnDone(const grpc::Status& status) {
  std::deque<Call*> rest;
  {
    absl::MutexLock lock(&mu_);
    broken_ = true;  // retries below go to a new stream
    rest.swap(waiting_);
  }
  const std::string why = absl::StrCat("the stream ended: ", status.error_message());
  for (Call* call : rest) driver_->Finished(call, member_, grpc::StatusCode::UNAVAILABLE, why);
  driver_->Gone(this, conn_, member_);  // last: the driver may be destroyed right after
  delete this;
}

}  // namespace

std::unique_ptr<ZkDriver> NewPipelineDriver(const std::vector<std::string>& addresses,
                                            int connections) {
  return std::make_unique<PipelineDriver>(addresses, connections);
}

}  // namespace dcos::bench
