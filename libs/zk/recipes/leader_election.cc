#include "libs/zk/recipes/leader_election.h"

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "libs/zk/errors.h"
#include "libs/zk/recipes/paths.h"

namespace dcos::zk::recipes {

using client::SessionState;
using client::WatchEvent;

absl::StatusOr<std::unique_ptr<LeaderElection>> LeaderElection::Join(client::ZkClient* zk,
                                                                     Options options) {
  if (!zk->has_session()) {
    return absl::FailedPreconditionError("leader election needs a client with a session");
  }
  uint64_t tag = options.seed ? *options.seed : absl::Uniform<uint64_t>(absl::BitGen());
  auto contender = Contender::Enter(*zk, options.path, kElectionNodePrefix, options.data, tag);
  if (!contender.ok()) return contender.status();
  std::unique_ptr<LeaderElection> election(
      new LeaderElection(zk, std::move(options), *std::move(contender)));
  LeaderElection* e = election.get();
  e->listener_ =
      zk->AddSessionListener(e->gate_.Wrap([e](SessionState s) { e->OnSession(s); }));
  zk->Post(e->gate_.Wrap([e] { e->Evaluate(); }));
  return election;
}

LeaderElection::LeaderElection(client::ZkClient* zk, Options options, Contender contender)
    : zk_(zk), options_(std::move(options)), contender_(std::move(contender)) {}

LeaderElection::~LeaderElection() {
  gate_.Close();
  zk_->RemoveSessionListener(listener_);
  bool over;
  {
    absl::MutexLock lock(&mu_);
    over = over_;
    over_ = true;
    leading_ = false;
  }
  if (!over && zk_->Usable().ok()) (void)contender_.Leave(*zk_);
}

bool LeaderElection::leading() const {
  {
    absl::MutexLock lock(&mu_);
    if (!leading_ || over_) return false;
  }
  return zk_->clock()->Now() < zk_->session_alive_until();
}

absl::Status LeaderElection::Resign() {
  gate_.Close();
  zk_->RemoveSessionListener(listener_);
  bool was_leading;
  bool over;
  {
    absl::MutexLock lock(&mu_);
    was_leading = leading_;
    over = over_;
    over_ = true;
    leading_ = false;
  }
  absl::Status left = over ? absl::OkStatus() : contender_.Leave(*zk_);
  if (was_leading && options_.on_leadership) options_.on_leadership(false);
  return left;
}

void LeaderElection::SetLeading(bool leading) {
  {
    absl::MutexLock lock(&mu_);
    if (over_ || leading_ == leading) return;
    leading_ = leading;
  }
  if (options_.on_leadership) options_.on_leadership(leading);
}

void LeaderElection::Over() {
  bool was_leading;
  {
    absl::MutexLock lock(&mu_);
    if (over_) return;
    over_ = true;
    was_leading = leading_;
    leading_ = false;
  }
  if (was_leading && options_.on_leadership) options_.on_leadership(false);
}

void LeaderElection::OnSession(SessionState state) {
  if (state == SessionState::kExpired || state == SessionState::kClosed) {
    Over();
  } else if (state == SessionState::kConnected) {
    Evaluate();  // an earlier evaluation may have failed while disconnected
  }
}

void LeaderElection::Evaluate() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (over_) return;
    }
    absl::StatusOr<Place> place = contender_.Check(*zk_);
    if (!place.ok()) {
      if (!zk_->Usable().ok()) Over();
      // Otherwise (the ensemble unreachable for the retry budget) the next kConnected
      // evaluates again.
      return;
    }
    if (!place->present) {  // our node is gone: our session ended
      Over();
      return;
    }
    if (place->first) {
      SetLeading(true);
      return;
    }
    SetLeading(false);
    if (watching_ == place->predecessor) return;  // its watch is still pending
    std::string predecessor = *place->predecessor;
    auto exists = zk_->ExistsAndWatch(
        JoinPath(contender_.dir(), predecessor),
        gate_.Wrap([this, predecessor](const WatchEvent&) {
          if (watching_ == predecessor) watching_.reset();
          Evaluate();
        }));
    if (!exists.ok()) {
      if (!zk_->Usable().ok()) Over();
      return;
    }
    if (exists->has_value()) {
      watching_ = predecessor;
      return;
    }
    // The predecessor went between the two reads: look again. (Its exists watch stays set
    // and fires when a node of that name appears, which never happens: names are unique.)
  }
}

absl::StatusOr<std::optional<LeaderInfo>> LeaderElection::Leader(client::ZkClient& zk,
                                                                 const std::string& path,
                                                                 bool linearizable) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto children = zk.GetChildren(path, linearizable);
    if (client::ErrorCodeOf(children.status()) == v1::ERROR_CODE_NO_NODE) {
      return std::optional<LeaderInfo>();
    }
    if (!children.ok()) return children.status();
    std::vector<std::string> ordered = QueueOrder(*children, kElectionNodePrefix);
    if (ordered.empty()) return std::optional<LeaderInfo>();
    auto data = zk.GetData(JoinPath(path, ordered.front()), linearizable);
    if (client::ErrorCodeOf(data.status()) == v1::ERROR_CODE_NO_NODE) continue;  // it just left
    if (!data.ok()) return data.status();
    return std::optional<LeaderInfo>(LeaderInfo{ordered.front(), std::move(data->first),
                                                data->second.czxid(),
                                                data->second.ephemeral_owner()});
  }
  return absl::UnavailableError(
      absl::StrCat("the leader of ", path, " kept changing while it was read"));
}

}  // namespace dcos::zk::recipes
