#pragma once

// Typed configuration: fields registered by name with a destination that holds the default,
// loaded from YAML files and command-line overrides, checked against constraints.
//
//   std::string listen = "0.0.0.0:5050";
//   int64_t workers = 4;
//   dcos::config::Schema schema;
//   schema.String("grpc.listen", &listen, "gRPC listen address").Check(ValidateHostPort);
//   schema.Int("workers", &workers, "worker threads").Range(1, 64);
//   DCOS_RETURN_IF_ERROR(ParseCommandLine(argc, argv, schema, &help));
//
// Names are dotted; YAML nested maps map onto them (`grpc: {listen: x}` is grpc.listen) and a
// dotted key written literally is accepted too. Every error names its source and field:
//   config /etc/dcos/master.yaml: field "grpc.port": 70000 is out of range [1, 65535]
//   flag --grpc.port: field "grpc.port": expected an integer, got "abc"
//
// Bad input changes nothing: each load parses and checks into temporaries and writes the
// destinations only when all of it is valid. Schema::Update groups several loads into one
// all-or-nothing change.
//
// Thread-compatibility: a Schema and its destinations belong to one thread (normally main()
// at start-up). The Schema must outlive no destination: it keeps raw pointers to them.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/config/value.h"
#include "libs/config/yaml_reader.h"

namespace dcos::config {

class Schema;

// Constraints on one field; every method returns *this for chaining. Using a constraint on a
// field of the wrong type (Range on a string) is a programming error and aborts.
class Field {
 public:
  Field(const Field&) = delete;
  Field& operator=(const Field&) = delete;

  // Int fields (also Double fields, which take the bounds as doubles). Inclusive.
  Field& Range(int64_t min, int64_t max);
  Field& Range(int min, int max) { return Range(int64_t{min}, int64_t{max}); }
  // Double fields. Inclusive.
  Field& Range(double min, double max);
  // Duration fields. Inclusive.
  Field& DurationRange(absl::Duration min, absl::Duration max);
  // String fields (and string lists, where every element must be allowed).
  Field& OneOf(std::vector<std::string> allowed);
  // Strings and lists must be non-empty; other types must be set by a file or flag.
  Field& Required();
  // Custom validation of the value's text (FormatValue: "5050", "10s", "a,b"). The returned
  // status's message is shown after `field "name": `.
  Field& Check(std::function<absl::Status(absl::string_view value)> check);

  const std::string& name() const { return name_; }
  Type type() const { return type_; }
  const std::string& help() const { return help_; }

 private:
  friend class Schema;

  Field(std::string name, Type type, void* dest, std::string help);

  Value Current() const;
  void Store(const Value& value);
  // Runs range, one-of and custom checks; the message has no source or field prefix.
  absl::Status CheckValue(const Value& value) const;
  // "required; range [1, 65535]; one of: a, b; custom check", or "".
  std::string ConstraintText() const;
  [[noreturn]] void Misuse(absl::string_view what) const;

  std::string name_;
  Type type_;
  void* dest_;  // points to the type matching type_; not owned
  std::string help_;
  Value default_;
  std::optional<std::pair<int64_t, int64_t>> int_range_;
  std::optional<std::pair<double, double>> double_range_;
  std::optional<std::pair<absl::Duration, absl::Duration>> duration_range_;
  std::vector<std::string> one_of_;
  bool required_ = false;
  std::vector<std::function<absl::Status(absl::string_view)>> checks_;
  // Where the current value came from ("config x.yaml", "flag --x"); empty for the default.
  std::string source_;
};

class Schema {
 public:
  Schema() = default;
  Schema(const Schema&) = delete;
  Schema& operator=(const Schema&) = delete;

  // Registers a field. `name` is dotted segments of [A-Za-z0-9_-]; `dest` holds the default
  // and receives loaded values. A duplicate name, a name that is also a section of another
  // field ("grpc" next to "grpc.port"), or the reserved names help, h, config abort.
  Field& String(std::string name, std::string* dest, std::string help);
  Field& Int(std::string name, int64_t* dest, std::string help);
  Field& Double(std::string name, double* dest, std::string help);
  Field& Bool(std::string name, bool* dest, std::string help);
  // "10s", "500ms", "1m30s"; a bare number other than 0 is an error asking for a unit.
  Field& Duration(std::string name, absl::Duration* dest, std::string help);
  // A YAML sequence in files; comma-separated in flags.
  Field& StringList(std::string name, std::vector<std::string>* dest, std::string help);

  // Loads a YAML file. NotFound / PermissionDenied naming the path if it cannot be read;
  // InvalidArgument for bad content. Changes nothing on error.
  absl::Status LoadYamlFile(const std::string& path);
  // Loads YAML text; errors start with "config <source>: ". Changes nothing on error.
  absl::Status LoadYamlString(absl::string_view yaml, absl::string_view source);
  // Sets one field from text (flag syntax); errors start with "<source>: ".
  absl::Status Set(absl::string_view name, absl::string_view value, absl::string_view source);

  // Checks every constraint on the current values, including Required. All problems are
  // reported, one per line. InvalidArgument.
  absl::Status Validate() const;

  // Every field, sorted by name: flag form, type, default, constraints and help text.
  std::string Help() const;
  // The effective configuration as YAML with nested maps; LoadYamlString reads it back.
  std::string Dump() const;

  // The field registered under `name`, or nullptr.
  const Field* Find(absl::string_view name) const;

  // Staged changes applied all together or not at all:
  //   Schema::Update u(&schema);
  //   DCOS_RETURN_IF_ERROR(u.LoadYamlFile(path));
  //   DCOS_RETURN_IF_ERROR(u.Set("grpc.port", "6060", "flag --grpc.port"));
  //   DCOS_RETURN_IF_ERROR(u.Validate());
  //   u.Commit();
  // Later changes to a field override earlier ones. A failed call leaves the staged set as it
  // was before the call.
  class Update {
   public:
    explicit Update(Schema* schema) : schema_(schema) {}
    absl::Status LoadYamlFile(const std::string& path);
    absl::Status LoadYamlString(absl::string_view yaml, absl::string_view source);
    absl::Status Set(absl::string_view name, absl::string_view value, absl::string_view source);
    // Schema::Validate() as if the staged values were committed.
    absl::Status Validate() const;
    // Writes the staged values to their destinations.
    void Commit();

   private:
    struct Staged {
      Value value;
      std::string source;
    };
    using Overlay = std::map<std::string, Staged, std::less<>>;
    friend class Schema;

    Schema* schema_;
    Overlay staged_;
  };

 private:
  Field& Add(std::string name, Type type, void* dest, std::string help);
  // Whether some field's name starts with `prefix` + ".".
  bool IsSection(absl::string_view prefix) const;
  void WalkYaml(const YamlNode& map, const std::string& prefix, const std::string& source,
                Update::Overlay* out, std::vector<std::string>* errors) const;
  absl::Status ValidateWith(const Update::Overlay& staged) const;
  std::string UnknownField(absl::string_view name) const;

  std::map<std::string, std::unique_ptr<Field>, std::less<>> fields_;
};

}  // namespace dcos::config
