#include "libs/raft/member.h"

#include <utility>

#include <grpcpp/security/credentials.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/clock/clock.h"
#include "libs/log/log.h"

namespace dcos::raft {

void RegisterMemberConfig(config::Schema& schema, MemberConfig* config) {
  schema.Int("raft.id", &config->id, "this member's Raft id").Range(1, 1 << 20).Required();
  schema.StringList("raft.peers", &config->peers,
                    "every member as id=host:port, its gRPC (and Raft transport) address")
      .Required();
  schema.Bool("raft.join", &config->join,
              "a new member joining an existing ensemble: with an empty raft.dir it starts with "
              "no configuration, never campaigns, and waits to be added (Ensemble.AddMember); "
              "raft.peers then names this member and the members to contact");
  schema.String("raft.dir", &config->dir, "data directory (write-ahead log, snapshots)")
      .Required();
  schema.Duration("raft.tick", &config->tick, "Raft tick interval")
      .DurationRange(absl::Milliseconds(1), absl::Seconds(10));
  schema.Int("raft.election_ticks", &config->election_ticks,
             "followers campaign after [n, 2n) ticks without a leader")
      .Range(2, 1000);
  schema.Int("raft.snapshot_threshold", &config->snapshot_threshold,
             "applied entries between snapshots (log compaction)")
      .Range(int64_t{1}, int64_t{1} << 40);
  schema.Int("raft.cluster_id", &config->cluster_id, "id of the ensemble, same on every member")
      .Range(int64_t{1}, int64_t{1} << 40);
  schema.Int("raft.segment_size", &config->segment_size,
             "write-ahead log segment size, bytes (preallocated with zeros)")
      .Range(int64_t{64} << 10, int64_t{1} << 30);
}

absl::StatusOr<std::map<uint64_t, std::string>> ParsePeers(const std::vector<std::string>& items) {
  std::map<uint64_t, std::string> peers;
  for (const std::string& item : items) {
    std::pair<std::string, std::string> kv = absl::StrSplit(item, absl::MaxSplits('=', 1));
    uint64_t id = 0;
    if (!absl::SimpleAtoi(kv.first, &id) || id == 0 || kv.second.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("raft.peers: \"", item, "\" is not id=host:port"));
    }
    if (!peers.emplace(id, kv.second).second) {
      return absl::InvalidArgumentError(absl::StrCat("raft.peers: member ", id, " twice"));
    }
  }
  return peers;
}

absl::StatusOr<std::unique_ptr<RaftMember>> RaftMember::Create(const MemberConfig& config,
                                                               runtime::ServiceRuntime& runtime) {
  absl::StatusOr<std::map<uint64_t, std::string>> peers = ParsePeers(config.peers);
  if (!peers.ok()) return peers.status();
  auto self = peers->find(static_cast<uint64_t>(config.id));
  if (self == peers->end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("raft.id: member ", config.id, " is not in raft.peers"));
  }
  if (self->second != runtime.options().grpc_listen) {
    return absl::InvalidArgumentError(absl::StrCat(
        "grpc.listen: ", runtime.options().grpc_listen, " must be this member's raft.peers address ",
        self->second, " (the Raft transport is served on the same server)"));
  }
  std::unique_ptr<RaftMember> member(new RaftMember(config, *std::move(peers)));
  RaftTransportService::Options so;
  so.identity.cluster_id = static_cast<uint64_t>(config.cluster_id);
  so.identity.self = static_cast<uint64_t>(config.id);
  so.identity.is_peer = [m = member.get()](uint64_t id) { return m->addresses_.Contains(id); };
  so.sink = &member->proxy_;
  member->transport_service_ = std::make_unique<RaftTransportService>(std::move(so));
  runtime.AddService(member->transport_service_.get(), "dcos.raft.v1.RaftTransport");
  return member;
}

RaftMember::RaftMember(MemberConfig config, std::map<uint64_t, std::string> peers)
    : config_(std::move(config)), hints_(peers), addresses_(std::move(peers)) {}

RaftMember::~RaftMember() {
  Stop();
  proxy_.Set(nullptr);
}

FileLogStorage::Options RaftMember::StorageOptions() const {
  FileLogStorage::Options o;
  o.segment_size = static_cast<uint64_t>(config_.segment_size);
  return o;
}

namespace {

bool Empty(const PersistentState& state) {
  return state.hard_state.term() == 0 && state.snapshot.index() == 0 && state.entries.empty();
}

}  // namespace

absl::StatusOr<bool> RaftMember::HoldsState() const {
  absl::StatusOr<std::unique_ptr<FileLogStorage>> storage =
      FileLogStorage::Open(Env::Default(), config_.dir, StorageOptions());
  if (!storage.ok()) return storage.status();
  absl::StatusOr<PersistentState> state = (*storage)->Load();
  if (!state.ok()) return state.status();
  return !Empty(*state);
}

absl::Status RaftMember::SeedSnapshot(uint64_t index, const std::string& data,
                                      SeedVoters voters) {
  if (config_.join) {
    return absl::FailedPreconditionError(
        "raft.join: a joining member gets its data from the leader; it cannot be seeded");
  }
  absl::StatusOr<std::unique_ptr<FileLogStorage>> storage =
      FileLogStorage::Open(Env::Default(), config_.dir, StorageOptions());
  if (!storage.ok()) return storage.status();
  absl::StatusOr<PersistentState> state = (*storage)->Load();
  if (!state.ok()) return state.status();
  if (!Empty(*state)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "raft.dir ", config_.dir, " already holds Raft state; restore into an empty directory"));
  }
  SnapshotMetadata metadata;
  metadata.set_index(index);
  metadata.set_term(1);
  for (const auto& [peer, address] : hints_) {
    if (voters == SeedVoters::kSelfOnly && peer != id()) continue;
    metadata.mutable_conf_state()->add_voters(peer);
    (*metadata.mutable_conf_state()->mutable_addresses())[peer] = address;
  }
  // The snapshot first: with only the hard state on disk, the directory would hold state
  // without the data.
  absl::Status saved = (*storage)->SaveSnapshot(metadata, data);
  if (!saved.ok()) return saved;
  HardState hard;
  hard.set_term(1);
  hard.set_commit(index);
  return (*storage)->Append({}, &hard);
}

absl::Status RaftMember::Start(StateMachine* state_machine, runtime::ServiceRuntime& runtime,
                               NodeOptions options) {
  const uint64_t self = id();
  absl::StatusOr<std::unique_ptr<FileLogStorage>> storage =
      FileLogStorage::Open(Env::Default(), config_.dir, StorageOptions());
  if (!storage.ok()) return storage.status();
  storage_ = std::move(*storage);

  GrpcTransport::Options to;
  to.self = self;
  to.cluster_id = static_cast<uint64_t>(config_.cluster_id);
  to.sink = &proxy_;
  to.credentials = grpc::InsecureChannelCredentials();
  // No peers yet: the node reports the recovered configuration from its Start.
  to.metrics = &runtime.metrics();
  absl::StatusOr<std::unique_ptr<GrpcTransport>> transport = GrpcTransport::Create(std::move(to));
  if (!transport.ok()) return transport.status();
  transport_ = std::move(*transport);

  auto on_fatal = options.on_fatal;
  options.on_fatal = [&runtime, on_fatal](const absl::Status& error) {
    log::Error("raft member failed; NOT_SERVING").Field("error", error);
    runtime.SetReady(false);
    if (on_fatal) on_fatal(error);
  };
  options.raft.id = self;
  options.raft.initial_voters.clear();
  options.raft.initial_addresses.clear();
  if (!config_.join) {
    for (const auto& [peer, address] : hints_) options.raft.initial_voters.push_back(peer);
    options.raft.initial_addresses = hints_;
  }
  auto on_conf_change = options.on_conf_change;
  options.on_conf_change = [this, on_conf_change](const ConfChange& change, const ConfState& conf) {
    OnConfiguration(conf);
    if (on_conf_change) on_conf_change(change, conf);
  };
  // The book keeps the flags' addresses (so the transport service accepts the peers' streams
  // meanwhile) until the node reports the recovered configuration; from then on it decides.
  options.raft.election_ticks = static_cast<int>(config_.election_ticks);
  options.raft.seed = self;
  options.tick_interval = config_.tick;
  options.snapshot_threshold = static_cast<uint64_t>(config_.snapshot_threshold);
  absl::StatusOr<std::unique_ptr<RaftNode>> node =
      RaftNode::Start(std::move(options), storage_.get(), state_machine, transport_.get(),
                      clock::RealClock::Default(), &runtime.metrics());
  if (!node.ok()) return node.status();
  owned_node_ = std::move(*node);
  proxy_.Set(owned_node_.get());
  node_.store(owned_node_.get());
  CoreStatus s = owned_node_->Status();
  log::Info("raft member started")
      .Field("member", s.id)
      .Field("term", s.term)
      .Field("last_index", s.last_index)
      .Field("snapshot_index", s.snapshot_index);
  return absl::OkStatus();
}

void RaftMember::OnConfiguration(const ConfState& conf) {
  std::map<uint64_t, std::string> now = MemberAddresses(conf, hints_);
  addresses_.Replace(now);
  PeerChanges changes = DiffPeers(transport_peers_, now, id());
  transport_peers_ = now;
  // RemovePeer joins the peer's sender thread, which a cancel ends promptly.
  for (uint64_t peer : changes.removed) transport_->RemovePeer(peer);
  for (const auto& [peer, address] : changes.set) transport_->SetPeer(peer, address);
  const bool was_member = std::exchange(was_member_, was_member_ || now.count(id()) > 0);
  if (changes.removed.empty() && changes.set.empty()) return;
  bool member = now.count(id()) > 0 || (conf.voters_size() == 0 && conf.learners_size() == 0);
  auto line = member       ? log::Info("raft membership")
              : was_member ? log::Warn("raft membership: this member was removed")
                           : log::Info("raft membership: this member is not in it yet (joining)");
  line.Field("member", id())
      .Field("voters", static_cast<int64_t>(conf.voters_size()))
      .Field("learners", static_cast<int64_t>(conf.learners_size()))
      .Field("peers", static_cast<int64_t>(now.size()));
}

void RaftMember::Stop() {
  if (owned_node_) owned_node_->Stop();
  if (transport_) transport_->Stop();
  // Peers' streams to us end now (they learn at once that we are going), not when the
  // server's shutdown grace runs out.
  if (transport_service_) transport_service_->Stop();
}

}  // namespace dcos::raft
