#pragma once

// Drains a StreamQueue into a gRPC stream until the queue closes or the call is cancelled.
// Returns the status the call should end with.

#include <grpcpp/server_context.h>

#include "services/master/stream_queue.h"

namespace dcos::master {

// `write(item)` returns false when the stream broke. `idle()` runs every `idle_interval`
// without items (heartbeats); it may be empty.
template <typename T, typename Write, typename Idle>
grpc::Status Pump(grpc::ServerContext* context, StreamQueue<T>& queue, Write write,
                  absl::Duration idle_interval, Idle idle) {
  absl::Time next_idle = absl::Now() + idle_interval;
  for (;;) {
    std::optional<T> item = queue.Pop(absl::Milliseconds(100));
    if (item.has_value()) {
      if (!write(*item)) return grpc::Status::OK;
      continue;
    }
    if (queue.closed_and_drained()) return queue.status();
    if (context->IsCancelled()) return grpc::Status::OK;
    if (absl::Now() >= next_idle) {
      if (!idle()) return grpc::Status::OK;
      next_idle = absl::Now() + idle_interval;
    }
  }
}

}  // namespace dcos::master
