#include "services/agent/layout.h"

#include "absl/strings/str_cat.h"

namespace dcos::agent {

absl::Status ValidatePathComponent(absl::string_view id, absl::string_view field) {
  if (id.empty() || id.size() > 255) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be 1..255 bytes"));
  }
  if (id == "." || id == "..") {
    return absl::InvalidArgumentError(absl::StrCat(field, ": may not be '.' or '..'"));
  }
  for (char c : id) {
    if (c == '/' || c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": '", id, "' must be printable ASCII without '/' or spaces (it names a directory)"));
    }
  }
  return absl::OkStatus();
}

std::string Layout::AgentSandboxRoot(absl::string_view agent) const {
  return absl::StrCat(work_dir_, "/agents/", agent);
}

std::string Layout::SandboxDir(absl::string_view agent, absl::string_view framework,
                               absl::string_view executor, absl::string_view container) const {
  return absl::StrCat(AgentSandboxRoot(agent),
                      VirtualSandboxPath(framework, executor, container));
}

std::string Layout::VirtualSandboxPath(absl::string_view framework, absl::string_view executor,
                                       absl::string_view container) {
  return absl::StrCat("/frameworks/", framework, "/executors/", executor, "/runs/", container);
}

std::string Layout::MetaDir() const { return absl::StrCat(work_dir_, "/meta"); }
std::string Layout::AgentFile() const { return absl::StrCat(MetaDir(), "/agent.pb"); }
std::string Layout::FrameworksDir() const { return absl::StrCat(MetaDir(), "/frameworks"); }

std::string Layout::FrameworkDir(absl::string_view framework) const {
  return absl::StrCat(FrameworksDir(), "/", framework);
}

std::string Layout::FrameworkFile(absl::string_view framework) const {
  return absl::StrCat(FrameworkDir(framework), "/framework.pb");
}

std::string Layout::TasksDir(absl::string_view framework) const {
  return absl::StrCat(FrameworkDir(framework), "/tasks");
}

std::string Layout::TaskDir(absl::string_view framework, absl::string_view task) const {
  return absl::StrCat(TasksDir(framework), "/", task);
}

std::string Layout::TaskFile(absl::string_view framework, absl::string_view task) const {
  return absl::StrCat(TaskDir(framework, task), "/task.pb");
}

std::string Layout::RunDir(absl::string_view framework, absl::string_view task,
                           absl::string_view container) const {
  return absl::StrCat(TaskDir(framework, task), "/runs/", container);
}

}  // namespace dcos::agent
