// Resources <-> dcos.common.v1.Resource: round trips and validation errors naming the field.

#include <catch2/catch.hpp>

#include "libs/resources/resources.h"

namespace dcos::resources {
namespace {

using common::v1::ReservationInfo;
using common::v1::Value;
using Protos = google::protobuf::RepeatedPtrField<common::v1::Resource>;

common::v1::Resource Scalar(const std::string& name, double value, const std::string& role = "") {
  common::v1::Resource p;
  p.set_name(name);
  p.set_type(Value::TYPE_SCALAR);
  p.mutable_scalar()->set_value(value);
  p.set_role(role);
  return p;
}

std::string Error(const Protos& protos) {
  absl::StatusOr<Resources> r = Resources::FromProto(protos, "agent.resources");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(r.status().message());
}

TEST_CASE("round trip through protos", "[proto]") {
  Resources r = *Resources::Parse("cpus:4;mem:2048;ports:[31000-32000,1-2];disks:{a,b};cpus(ads):8");
  Resource dyn = Resource::Scalar("mem", 5000);
  dyn.SetDynamicReservation("ads", {"marathon", {{"owner", "x"}}});
  r.Add(dyn);
  Protos protos;
  r.ToProto(&protos);
  REQUIRE(protos.size() == 6);
  CHECK(protos[0].role() == "*");
  CHECK_FALSE(protos[0].has_reservation());
  CHECK(protos[2].ranges().range_size() == 2);
  CHECK(protos[4].reservation().type() == ReservationInfo::TYPE_STATIC);
  CHECK(protos[5].reservation().type() == ReservationInfo::TYPE_DYNAMIC);
  CHECK(protos[5].reservation().principal() == "marathon");
  absl::StatusOr<Resources> back = Resources::FromProto(protos);
  REQUIRE(back.ok());
  CHECK(*back == r);
  CHECK(back->ReservedFor("ads").begin()->reservation_type() == ReservationType::kStatic);
}

TEST_CASE("empty role means unreserved; a role without reservation info is static", "[proto]") {
  Protos protos;
  *protos.Add() = Scalar("cpus", 1);
  *protos.Add() = Scalar("cpus", 2, "ads");
  absl::StatusOr<Resources> r = Resources::FromProto(protos);
  REQUIRE(r.ok());
  CHECK(r->ToString() == "cpus:1;cpus(ads):2");
}

TEST_CASE("validation errors name the field", "[proto]") {
  Protos p;
  *p.Add() = Scalar("cpus", 1);
  *p.Add() = Scalar("mem", -1);
  CHECK(Error(p) == "agent.resources[1].scalar.value: must be >= 0, got -1");

  p.Clear();
  *p.Add() = Scalar("bad name", 1);
  CHECK(Error(p) ==
        "agent.resources[0].name: resource name 'bad name' has an invalid character (allowed: "
        "[a-zA-Z0-9_.-])");

  p.Clear();
  *p.Add() = Scalar("cpus", 1);
  p[0].set_type(Value::TYPE_TEXT);
  CHECK(Error(p) ==
        "agent.resources[0].type: must be TYPE_SCALAR, TYPE_RANGES or TYPE_SET, got TYPE_TEXT");

  p.Clear();
  common::v1::Resource ports;
  ports.set_name("ports");
  ports.set_type(Value::TYPE_RANGES);
  ports.mutable_ranges()->add_range()->set_begin(1);
  ports.mutable_ranges()->mutable_range(0)->set_end(2);
  ports.mutable_ranges()->add_range()->set_begin(9);
  ports.mutable_ranges()->mutable_range(1)->set_end(3);
  *p.Add() = ports;
  CHECK(Error(p) == "agent.resources[0].ranges.range[1]: begin 9 > end 3");

  p.Clear();
  common::v1::Resource set;
  set.set_name("disks");
  set.set_type(Value::TYPE_SET);
  set.mutable_set()->add_item("a");
  set.mutable_set()->add_item("a");
  *p.Add() = set;
  CHECK(Error(p) == "agent.resources[0].set.item: duplicate item 'a'");

  p.Clear();
  *p.Add() = Scalar("cpus", 1, "a//b");
  CHECK(Error(p) ==
        "agent.resources[0].role: role 'a//b' has an empty component (leading, trailing or "
        "double '/')");

  p.Clear();
  *p.Add() = Scalar("cpus", 1, "ads");
  p[0].mutable_reservation()->set_role("web");
  CHECK(Error(p) == "agent.resources[0].reservation.role: 'web' differs from role 'ads'");

  p.Clear();
  *p.Add() = Scalar("cpus", 1);
  p[0].mutable_reservation()->set_type(ReservationInfo::TYPE_STATIC);
  CHECK(Error(p) == "agent.resources[0].reservation: set on an unreserved (role '*') resource");

  p.Clear();
  *p.Add() = Scalar("cpus", 1);
  *p.Add() = Scalar("cpus", 1);
  p[1].set_type(Value::TYPE_SET);
  p[1].mutable_set()->add_item("x");
  CHECK(Error(p) ==
        "agent.resources[1].type: differs from an earlier 'cpus' resource (scalar, ranges and "
        "set do not mix)");
}

TEST_CASE("SumOfProtos fails with the field of the first bad entry", "[proto]") {
  google::protobuf::RepeatedPtrField<common::v1::Resource> good, bad;
  Resources::CpusMem(1, 128).ToProto(&good);
  Resources::CpusMem(2, 256).ToProto(&bad);
  bad.Mutable(1)->mutable_scalar()->set_value(-1);
  absl::StatusOr<Resources> sum = Resources::SumOfProtos({&good, &bad}, "task.resources");
  REQUIRE_FALSE(sum.ok());
  CHECK(sum.status().message() == "task.resources[1].scalar.value: must be >= 0, got -1");
  sum = Resources::SumOfProtos({&good, &good});
  REQUIRE(sum.ok());
  CHECK(*sum == Resources::CpusMem(2, 256));
  sum = Resources::SumOfProtos({});
  REQUIRE(sum.ok());
  CHECK(sum->empty());
}

}  // namespace
}  // namespace dcos::resources
