#include "tests/raft/kv_state_machine.h"

#include <cstdio>
#include <cstdlib>

#include "tests/raft/kv.pb.h"

namespace dcos::testing::raftkv {

using ::dcos::testing::raftkv::v1::KvSnapshot;
using ::dcos::testing::raftkv::v1::PutCommand;

std::string EncodePut(const std::string& key, const std::string& value) {
  PutCommand command;
  command.set_key(key);
  command.set_value(value);
  return command.SerializeAsString();
}

void KvStateMachine::Apply(const raft::Entry& entry) {
  absl::MutexLock lock(&mu_);
  applied_ = entry.index();
  if (entry.type() != ::dcos::raft::v1::ENTRY_TYPE_NORMAL) return;
  PutCommand command;
  if (!command.ParseFromString(entry.data())) {
    std::fprintf(stderr, "dcos-raft-kv: entry %llu is not a PutCommand\n",
                 static_cast<unsigned long long>(entry.index()));
    std::abort();
  }
  map_[command.key()] = command.value();
}

std::string KvStateMachine::Snapshot() {
  KvSnapshot snapshot;
  absl::MutexLock lock(&mu_);
  for (const auto& [key, value] : map_) {
    PutCommand* e = snapshot.add_entries();
    e->set_key(key);
    e->set_value(value);
  }
  return snapshot.SerializeAsString();
}

absl::Status KvStateMachine::Restore(const std::string& data, uint64_t index) {
  KvSnapshot snapshot;
  if (!snapshot.ParseFromString(data)) {
    return absl::InvalidArgumentError("snapshot data is not a KvSnapshot");
  }
  std::map<std::string, std::string> map;
  for (const PutCommand& e : snapshot.entries()) map[e.key()] = e.value();
  absl::MutexLock lock(&mu_);
  map_ = std::move(map);
  applied_ = index;
  return absl::OkStatus();
}

KvStateMachine::Read KvStateMachine::Get(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  Read read;
  read.applied = applied_;
  auto it = map_.find(key);
  if (it != map_.end()) read.value = it->second;
  return read;
}

uint64_t KvStateMachine::Size() const {
  absl::MutexLock lock(&mu_);
  return map_.size();
}

uint64_t KvStateMachine::applied() const {
  absl::MutexLock lock(&mu_);
  return applied_;
}

}  // namespace dcos::testing::raftkv
