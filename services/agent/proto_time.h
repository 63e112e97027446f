#pragma once

// absl time <-> protobuf Timestamp/Duration, through protobuf's own TimeUtil.

#include <google/protobuf/util/time_util.h>

#include "absl/time/time.h"

namespace dcos::agent {

inline google::protobuf::Timestamp TimestampOf(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

inline absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(t));
}

inline google::protobuf::Duration DurationProtoOf(absl::Duration d) {
  return google::protobuf::util::TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(d));
}

inline absl::Duration DurationOf(const google::protobuf::Duration& d) {
  return absl::Nanoseconds(google::protobuf::util::TimeUtil::DurationToNanoseconds(d));
}

}  // namespace dcos::agent
