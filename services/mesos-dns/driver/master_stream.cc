#include "services/mesos-dns/driver/master_stream.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/strings/str_cat.h"
#include "libs/status/grpc_status.h"
#include "protos/master/v1/operator.grpc.pb.h"

namespace dcos::dns::driver {

std::unique_ptr<MasterStream> MasterStream::Open(const std::string& target, OnEvent on_event,
                                                 OnEnd on_end) {
  std::unique_ptr<MasterStream> stream(new MasterStream());
  stream->thread_ = std::thread([s = stream.get(), target, on_event = std::move(on_event),
                                 on_end = std::move(on_end)]() mutable {
    s->Run(target, std::move(on_event), std::move(on_end));
  });
  return stream;
}

MasterStream::~MasterStream() {
  context_.TryCancel();
  if (thread_.joinable()) thread_.join();
}

void MasterStream::Run(const std::string& target, OnEvent on_event, OnEnd on_end) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // A SUBSCRIBED of a large cluster is several megabytes.
  args.SetMaxReceiveMessageSize(256 << 20);
  // Notice a master that vanished without closing the connection (besides its heartbeats).
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  auto stub = master::v1::Operator::NewStub(channel);
  auto reader = stub->Subscribe(&context_, master::v1::SubscribeOperatorRequest());
  master::v1::OperatorEvent event;
  while (reader->Read(&event)) {
    on_event(std::move(event));
    event.Clear();
  }
  grpc::Status end = reader->Finish();
  if (end.ok()) {
    on_end(absl::UnavailableError(absl::StrCat("the master at ", target, " ended the stream")));
  } else {
    on_end(status::FromGrpc(end));
  }
}

}  // namespace dcos::dns::driver
