"""dcos_proto_library: .proto files -> one cc_library of message and gRPC code.

Uses the system protoc and grpc_cpp_plugin (Debian's protobuf-compiler and
protobuf-compiler-grpc), so nothing is downloaded. Import paths are relative to the
workspace root: `import "protos/common/v1/ids.proto";` and
`#include "protos/common/v1/ids.pb.h"`.
"""

def dcos_proto_library(name, srcs, deps = [], grpc = True, visibility = None, testonly = False):
    """Declares `name`, a cc_library with the generated code of `srcs`.

    Args:
      name: the cc_library's name; `name + "_files"` is a filegroup of all .proto files
        needed to compile these (own and transitive), used by dependents.
      srcs: .proto files in this package.
      deps: other dcos_proto_library targets whose .proto files these import.
      grpc: also generate gRPC service code (.grpc.pb.{h,cc}).
      visibility: as for any rule.
      testonly: as for any rule.
    """
    pkg = native.package_name()
    bases = [s[:-len(".proto")] for s in srcs]
    outs = []
    for b in bases:
        outs += [b + ".pb.h", b + ".pb.cc"]
        if grpc:
            outs += [b + ".grpc.pb.h", b + ".grpc.pb.cc"]

    native.filegroup(
        name = name + "_files",
        srcs = srcs + [d + "_files" for d in deps],
        visibility = visibility,
        testonly = testonly,
    )

    grpc_flags = ""
    tools = []
    if grpc:
        grpc_flags = "--grpc_out=$(GENDIR) --plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin"

    native.genrule(
        name = name + "_gen",
        srcs = [name + "_files"],
        outs = outs,
        cmd = "/usr/bin/protoc -I. -I/usr/include --cpp_out=$(GENDIR) %s %s" % (
            grpc_flags,
            " ".join([pkg + "/" + s for s in srcs]),
        ),
        tools = tools,
        testonly = testonly,
        visibility = ["//visibility:private"],
    )

    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        # Generated code is not ours to hold to -Werror.
        copts = ["-Wno-error", "-w"],
        deps = deps + ["//third_party:grpc"],
        visibility = visibility,
        testonly = testonly,
    )
