#pragma once

#include "absl/status/status.h"
#include "libs/config/schema.h"

namespace dcos::config {

// Parses argv (argv[0] is skipped) into `schema`, all or nothing:
//  1. `--help` or `-h` anywhere: sets *help_requested and returns OK, loading nothing.
//  2. Every `--config=FILE` / `--config FILE`, wherever it appears, is loaded first, in order.
//  3. Every other `--name=value` / `--name value` is applied in order (later wins); a Bool
//     field given as `--name` alone is set to true. `--name value` takes the next argument
//     unless that starts with "--".
//  4. Validate() runs on the result; only then are the destinations written.
// Errors (InvalidArgument unless a file cannot be read): positional arguments, single-dash
// flags, unknown fields, missing values, and anything LoadYamlFile/Set/Validate reports. Flag
// errors name their source as `flag --name`.
absl::Status ParseCommandLine(int argc, char** argv, Schema& schema, bool* help_requested);

}  // namespace dcos::config
