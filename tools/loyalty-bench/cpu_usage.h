// CPU time of a process (user + system), to report how many microseconds of CPU each request
// cost the server and the load generator: on a machine of 2 cores both share, that sum bounds
// the throughput (2 s of CPU per second of wall time) whatever the latency.
//
// Thread safety: re-entrant.
#pragma once

#include <sys/types.h>

#include <optional>

namespace loyalty::tools {

// User + system CPU seconds of process `pid` so far (all its threads), from /proc/<pid>/stat;
// nullopt when it cannot be read (no such process).
std::optional<double> processCpuSeconds(pid_t pid);

// The same for this process (getrusage).
double ownCpuSeconds();

}  // namespace loyalty::tools
