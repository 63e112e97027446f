#include "services/zk-ensemble/core/types.h"

namespace dcos::zk {

bool IsSequential(CreateMode mode) {
  return mode == CreateMode::kPersistentSequential || mode == CreateMode::kEphemeralSequential;
}

bool IsEphemeral(CreateMode mode) {
  return mode == CreateMode::kEphemeral || mode == CreateMode::kEphemeralSequential;
}

bool IsKnownCreateMode(CreateMode mode) {
  int m = static_cast<int>(mode);
  return m >= static_cast<int>(CreateMode::kUnspecified) &&
         m <= static_cast<int>(CreateMode::kContainer);
}

}  // namespace dcos::zk
