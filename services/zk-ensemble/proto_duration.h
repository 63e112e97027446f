#pragma once

// absl::Duration -> google.protobuf.Duration, for replies that carry a timeout.

#include <google/protobuf/duration.pb.h>

#include "absl/time/time.h"

namespace dcos::zk {

inline void ToProto(absl::Duration d, google::protobuf::Duration* out) {
  int64_t seconds = absl::ToInt64Seconds(d);
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d - absl::Seconds(seconds))));
}

}  // namespace dcos::zk
