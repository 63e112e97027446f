#include "libs/config/command_line.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"

namespace dcos::config {
namespace {

struct Flag {
  std::string name;
  std::string value;
  bool has_value = false;
};

// Splits argv into flags; the value of `--name value` is attached here when the next argument
// does not start with "--" and the field is not a Bool.
absl::Status SplitArgs(int argc, char** argv, const Schema& schema, std::vector<Flag>* flags) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (!absl::StartsWith(arg, "--") || arg == "--") {
      if (absl::StartsWith(arg, "-") && arg.size() > 1 && arg != "--") {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown flag \"", arg, "\"; flags are written --name=value"));
      }
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument \"", arg, "\"; flags are written --name=value"));
    }
    arg.remove_prefix(2);
    Flag flag;
    size_t eq = arg.find('=');
    if (eq != absl::string_view::npos) {
      flag.name = std::string(arg.substr(0, eq));
      flag.value = std::string(arg.substr(eq + 1));
      flag.has_value = true;
    } else {
      flag.name = std::string(arg);
      const Field* field = schema.Find(flag.name);
      bool is_bool = field != nullptr && field->type() == Type::kBool;
      if (!is_bool && i + 1 < argc && !absl::StartsWith(argv[i + 1], "--")) {
        flag.value = argv[++i];
        flag.has_value = true;
      }
    }
    flags->push_back(std::move(flag));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseCommandLine(int argc, char** argv, Schema& schema, bool* help_requested) {
  *help_requested = false;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *help_requested = true;
      return absl::OkStatus();
    }
  }
  std::vector<Flag> flags;
  DCOS_RETURN_IF_ERROR(SplitArgs(argc, argv, schema, &flags));

  Schema::Update update(&schema);
  for (const Flag& flag : flags) {
    if (flag.name != "config") continue;
    if (!flag.has_value || flag.value.empty()) {
      return absl::InvalidArgumentError("flag --config: expected a file name");
    }
    DCOS_RETURN_IF_ERROR(update.LoadYamlFile(flag.value));
  }
  for (const Flag& flag : flags) {
    if (flag.name == "config") continue;
    std::string source = absl::StrCat("flag --", flag.name);
    if (!flag.has_value) {
      const Field* field = schema.Find(flag.name);
      if (field != nullptr && field->type() == Type::kBool) {
        DCOS_RETURN_IF_ERROR(update.Set(flag.name, "true", source));
        continue;
      }
      if (field != nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            source, ": field \"", flag.name, "\": expected a value (--", flag.name, "=VALUE)"));
      }
    }
    DCOS_RETURN_IF_ERROR(update.Set(flag.name, flag.value, source));
  }
  DCOS_RETURN_IF_ERROR(update.Validate());
  update.Commit();
  return absl::OkStatus();
}

}  // namespace dcos::config
