// StreamQueue: one write in flight, the next started by the completion of the last; the end
// after the last write; overflow drops what is queued and cuts a stuck write; Detach waits.

#include "services/master/stream_queue.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace dcos::master {
namespace {

// Records what the queue asks of the stream; completes nothing by itself.
class RecordingSink final : public StreamQueue<std::string>::Sink {
 public:
  void Write(const std::string& item) override {
    CHECK(in_flight.empty());  // never two writes at once
    in_flight = item;
    writes.push_back(item);
  }
  void End(const grpc::Status& status) override {
    CHECK(in_flight.empty());  // never with a write in flight
    ++ends;
    end_status = status;
  }
  void Cut() override { ++cuts; }

  // The stream's completion of the write in flight.
  void Complete(StreamQueue<std::string>& q, bool ok) {
    REQUIRE(!in_flight.empty());
    in_flight.clear();
    q.Written(ok);
  }

  std::string in_flight;
  std::vector<std::string> writes;
  int ends = 0;
  int cuts = 0;
  grpc::Status end_status;
};

TEST_CASE("items pushed before Attach are written first, one at a time", "[stream_queue]") {
  StreamQueue<std::string> q;
  RecordingSink sink;
  q.Push("a");
  q.Push("b");
  q.Attach(&sink);
  CHECK(sink.writes == std::vector<std::string>{"a"});
  q.Push("c");
  CHECK(sink.writes.size() == 1);  // "a" still in flight
  sink.Complete(q, true);
  CHECK(sink.writes == std::vector<std::string>{"a", "b"});
  sink.Complete(q, true);
  sink.Complete(q, true);
  CHECK(sink.writes == std::vector<std::string>{"a", "b", "c"});
  CHECK(sink.in_flight.empty());
  // Idle: the next push writes at once.
  q.Push("d");
  CHECK(sink.in_flight == "d");
  sink.Complete(q, true);
  CHECK(sink.ends == 0);
  q.Detach();
}

TEST_CASE("Close ends the stream after what is queued, once, with its status", "[stream_queue]") {
  StreamQueue<std::string> q;
  RecordingSink sink;
  q.Attach(&sink);
  q.Push("a");
  q.Push("b");
  q.Close(grpc::Status(grpc::StatusCode::UNAVAILABLE, "bye"));
  q.Close(grpc::Status::OK);  // the first close wins
  q.Push("late");             // dropped
  CHECK(sink.ends == 0);
  sink.Complete(q, true);
  CHECK(sink.ends == 0);
  sink.Complete(q, true);
  CHECK(sink.writes == std::vector<std::string>{"a", "b"});
  CHECK(sink.ends == 1);
  CHECK(sink.end_status.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(q.ended());
  q.Detach();
}

TEST_CASE("a closed queue ends as soon as it is attached", "[stream_queue]") {
  StreamQueue<std::string> q;
  RecordingSink sink;
  q.Push("shutdown");
  q.Close(grpc::Status::OK);
  q.Attach(&sink);
  sink.Complete(q, true);
  CHECK(sink.writes == std::vector<std::string>{"shutdown"});
  CHECK(sink.ends == 1);
  CHECK(sink.end_status.ok());
  q.Detach();
}

TEST_CASE("a failed write ends the stream and drops what is queued", "[stream_queue]") {
  StreamQueue<std::string> q;
  RecordingSink sink;
  q.Attach(&sink);
  q.Push("a");
  q.Push("b");
  sink.Complete(q, false);
  CHECK(sink.writes == std::vector<std::string>{"a"});
  CHECK(sink.ends == 1);
  CHECK(q.size() == 0);
  q.Detach();
}

TEST_CASE("overflow drops the backlog and ends RESOURCE_EXHAUSTED", "[stream_queue]") {
  SECTION("a write stuck in flight is cut, the end follows its completion") {
    StreamQueue<std::string> q(/*limit=*/3);
    RecordingSink sink;
    q.Attach(&sink);
    for (int i = 0; i < 4; ++i) q.Push("x" + std::to_string(i));  // x0 in flight, 3 queued
    CHECK(sink.cuts == 0);
    q.Push("over");
    CHECK(sink.cuts == 1);
    CHECK(q.size() == 0);
    CHECK(sink.ends == 0);
    sink.Complete(q, false);  // the cancel fails the stuck write
    CHECK(sink.ends == 1);
    CHECK(sink.end_status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    q.Detach();
  }
  SECTION("a queue not yet attached just ends when it is") {
    StreamQueue<std::string> q(/*limit=*/2);
    RecordingSink sink;
    for (int i = 0; i < 3; ++i) q.Push("x");
    q.Attach(&sink);
    CHECK(sink.writes.empty());
    CHECK(sink.cuts == 0);
    CHECK(sink.ends == 1);
    CHECK(sink.end_status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    q.Detach();
  }
}

// A sink that completes each write on another thread, as gRPC does, while a producer pushes:
// everything arrives in order, never two writes at once, and Detach returns only when no call
// into the sink is running.
class ThreadedSink final : public StreamQueue<int>::Sink {
 public:
  explicit ThreadedSink(StreamQueue<int>* q) : q_(q) {}
  ~ThreadedSink() override {
    for (std::thread& t : completions_) t.join();
  }
  void Write(const int& item) override {
    CHECK(!busy_.exchange(true));
    received.push_back(item);
    absl::MutexLock lock(&mu_);
    completions_.emplace_back([this] {
      busy_.store(false);
      q_->Written(true);
    });
  }
  void End(const grpc::Status&) override { ended.store(true); }
  void Cut() override {}
  void Join() {
    std::vector<std::thread> threads;
    {
      absl::MutexLock lock(&mu_);
      threads.swap(completions_);
    }
    for (std::thread& t : threads) t.join();
  }

  std::vector<int> received;  // written by one Write at a time
  std::atomic<bool> ended{false};

 private:
  StreamQueue<int>* q_;
  std::atomic<bool> busy_{false};
  absl::Mutex mu_;
  std::vector<std::thread> completions_;
};

TEST_CASE("writes completed on other threads keep order and end once", "[stream_queue]") {
  StreamQueue<int> q;
  ThreadedSink sink(&q);
  q.Attach(&sink);
  constexpr int kItems = 2000;
  for (int i = 0; i < kItems; ++i) q.Push(i);
  q.Close();
  while (!q.ended()) sink.Join();
  sink.Join();
  q.Detach();
  REQUIRE(sink.received.size() == kItems);
  for (int i = 0; i < kItems; ++i) CHECK(sink.received[i] == i);
  CHECK(sink.ended.load());
}

}  // namespace
}  // namespace dcos::master
