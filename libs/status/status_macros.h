#pragma once

// Early-return helpers for absl::Status and absl::StatusOr<T>.
//
//   DCOS_RETURN_IF_ERROR(WriteHeader(fd));
//   DCOS_ASSIGN_OR_RETURN(std::string data, ReadAll(path));
//
// Abseil 20220623 as packaged by Debian has no such macros of its own.

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define DCOS_STATUS_CONCAT_INNER_(a, b) a##b
#define DCOS_STATUS_CONCAT_(a, b) DCOS_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the enclosing function if not OK.
#define DCOS_RETURN_IF_ERROR(expr)                                    \
  do {                                                                \
    ::absl::Status dcos_status_ = (expr);                             \
    if (!dcos_status_.ok()) return dcos_status_;                      \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status from the enclosing
// function, otherwise moves the value into `lhs` (which may be a declaration).
#define DCOS_ASSIGN_OR_RETURN(lhs, rexpr) \
  DCOS_ASSIGN_OR_RETURN_IMPL_(DCOS_STATUS_CONCAT_(dcos_statusor_, __LINE__), lhs, rexpr)

#define DCOS_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()
