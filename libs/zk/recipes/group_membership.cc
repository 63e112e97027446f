#include "libs/zk/recipes/group_membership.h"

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "libs/zk/recipes/paths.h"

namespace dcos::zk::recipes {

absl::StatusOr<std::unique_ptr<GroupMembership>> GroupMembership::Start(client::ZkClient* zk,
                                                                        Options options) {
  if (!zk->has_session()) {
    return absl::FailedPreconditionError("group membership needs a client with a session");
  }
  std::unique_ptr<GroupMembership> group(new GroupMembership(zk, std::move(options)));
  const Options& o = group->options_;
  if (o.join_data) {
    uint64_t tag = o.seed ? *o.seed : absl::Uniform<uint64_t>(absl::BitGen());
    auto self = Contender::Enter(*zk, o.path, kMemberNodePrefix, *o.join_data, tag);
    if (!self.ok()) return self.status();
    absl::MutexLock lock(&group->mu_);
    group->self_ = *std::move(self);
  } else {
    absl::Status ensured = EnsurePath(*zk, o.path);
    if (!ensured.ok()) return ensured;
  }
  TreeCache::Options cache;
  cache.root = o.path;
  cache.max_depth = 1;
  GroupMembership* g = group.get();
  cache.listener = [g](const CacheEvent& e) { g->OnCacheEvent(e); };
  auto started = TreeCache::Start(zk, std::move(cache));
  if (!started.ok()) return started.status();
  group->cache_ = *std::move(started);
  return group;
}

GroupMembership::~GroupMembership() {
  cache_.reset();
  (void)Leave();
}

void GroupMembership::OnCacheEvent(const CacheEvent& event) {
  std::string name = NameOf(event.path);
  if (event.path == options_.path || !absl::StartsWith(name, kMemberNodePrefix)) return;
  Members now;
  {
    absl::MutexLock lock(&mu_);
    if (event.type == CacheEvent::Type::kRemoved) {
      members_.erase(name);
    } else {
      members_[name] = event.node.data;
    }
    now = members_;
  }
  if (options_.on_change) options_.on_change(now);
}

GroupMembership::Members GroupMembership::members() const {
  absl::MutexLock lock(&mu_);
  return members_;
}

std::string GroupMembership::self() const {
  absl::MutexLock lock(&mu_);
  return self_ ? self_->name() : std::string();
}

absl::Status GroupMembership::Leave() {
  std::optional<Contender> self;
  {
    absl::MutexLock lock(&mu_);
    self.swap(self_);
  }
  if (!self || !zk_->Usable().ok()) return absl::OkStatus();
  absl::Status left = self->Leave(*zk_);
  if (!left.ok()) {
    absl::MutexLock lock(&mu_);
    self_ = std::move(self);
  }
  return left;
}

}  // namespace dcos::zk::recipes
