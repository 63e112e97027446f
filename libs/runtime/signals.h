#pragma once

// Shutdown signals. BlockShutdownSignals() must run in main() before any thread starts, so
// every thread inherits the blocked mask and SIGTERM/SIGINT are only ever consumed by
// WaitForShutdownSignal() — never delivered to a random gRPC thread.

namespace dcos::runtime {

// Blocks SIGTERM and SIGINT in the calling thread (and threads it creates later), and ignores
// SIGPIPE (a peer that closes a socket is an error return, not a process kill).
void BlockShutdownSignals();

// Blocks until SIGTERM or SIGINT arrives; returns the signal number.
int WaitForShutdownSignal();

}  // namespace dcos::runtime
