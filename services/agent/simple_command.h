#pragma once

// Whether a shell command line is a plain "program arg arg..." that `sh -c` would run exactly
// as an exec of its words would: then the supervisor execs the words itself and saves a whole
// process (the shell's exec and dynamic loading were about a fifth of the CPU of launching a
// task). Anything with shell syntax is left to the shell: quotes, backslashes, $, `, globs,
// redirections, pipes, lists, comments, ~, assignments, a shell keyword or builtin first.
// When the exec fails (say the program is not found), the caller falls back to `sh -c`, so the
// error and exit status stay the shell's.
//
// libc only (the supervisor links nothing else); no allocation.

#include <stddef.h>
#include <string.h>

namespace dcos::agent::supervisor {

inline bool IsPlainChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-' || c == '.' || c == '/' || c == ',' || c == ':' || c == '+' ||
         c == '@' || c == '%' || c == '=';
}

// Shell keywords and builtins (dash's and POSIX's): run by the shell, not found by exec, or
// found as a program that behaves differently (echo, printf, test, ...).
inline bool IsShellWord(const char* w) {
  static const char* const kWords[] = {
      "if", "then", "else", "elif", "fi", "case", "esac", "for", "while", "until", "do",
      "done", "in", "function", "select", "time", ".", ":", "break", "continue", "eval",
      "exec", "exit", "export", "readonly", "return", "set", "shift", "times", "trap",
      "unset", "alias", "unalias", "bg", "fg", "jobs", "cd", "command", "false", "true",
      "fc", "getopts", "hash", "kill", "local", "printf", "echo", "pwd", "read", "test",
      "type", "ulimit", "umask", "wait", "source", "newgrp"};
  for (const char* k : kWords) {
    if (strcmp(w, k) == 0) return true;
  }
  return false;
}

// Splits `command` into `words` (pointers into `buf`, null-terminated list) if it is a plain
// command (see above) of at most `max_words` words that fits in `buf_size` bytes. False
// otherwise (the shell must run it); `words` is then unspecified.
inline bool SplitSimpleCommand(const char* command, char* buf, size_t buf_size, char** words,
                               int max_words) {
  const size_t n = strlen(command);
  if (n == 0 || n + 1 > buf_size) return false;
  int count = 0;
  size_t out = 0;
  for (size_t i = 0; i < n;) {
    if (command[i] == ' ') {
      ++i;
      continue;
    }
    if (count == max_words) return false;
    words[count++] = buf + out;
    for (; i < n && command[i] != ' '; ++i) {
      if (!IsPlainChar(command[i])) return false;
      buf[out++] = command[i];
    }
    buf[out++] = '\0';
  }
  if (count == 0) return false;
  words[count] = nullptr;
  if (strchr(words[0], '=') != nullptr || IsShellWord(words[0])) return false;
  return true;
}

}  // namespace dcos::agent::supervisor
