// Open file descriptors of a process, read from /proc (Linux): a one-off count, the count of its
// sockets, its open-file limit (and, for the same reports, its CPU time and the load average),
// and FdSampler, which counts them every interval on a thread of
// its own and keeps the peak (scenario tills samples the core it spawned: each client connection
// is one descriptor in the core).
//
// Counting is one stat() of /proc/<pid>/fd, whose size is the number of open descriptors since
// Linux 6.2 (older kernels: a scan of the directory, ~1 us per descriptor);
// countNonSocketFds() does a readlink per entry and is meant for a one-off baseline.
//
// Errors: the functions return -1 when /proc cannot be read (no such process, not ours).
//
// Thread safety: the functions are re-entrant. FdSampler's accessors may be called from any
// thread while it runs; construct and destroy it on one thread. It starts its thread in the
// constructor: do not fork() while one exists.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace loyalty::tools {

int64_t countOpenFds(pid_t pid);
// The descriptors that are not sockets, in one scan (readlink per entry).
int64_t countNonSocketFds(pid_t pid);
// The soft "Max open files" limit of the process; -1 when unreadable, INT64_MAX for unlimited.
int64_t openFileLimitOf(pid_t pid);
// CPU seconds (user + system) the process has used so far (/proc/<pid>/stat); -1 when unreadable.
double cpuSecondsOf(pid_t pid);
// The 1-minute load average (/proc/loadavg); -1 when unreadable.
double loadAverage();

class FdSampler {
 public:
  FdSampler(pid_t pid, std::chrono::milliseconds interval);
  ~FdSampler();  // stop()
  FdSampler(const FdSampler&) = delete;
  FdSampler& operator=(const FdSampler&) = delete;

  // Stops sampling and joins the thread (idempotent); takes one last sample first.
  void stop();
  int64_t peak() const { return peak_.load(); }      // -1 before any readable sample
  int64_t samples() const { return samples_.load(); }  // readable samples taken

 private:
  void loop();
  void sampleOnce();

  const pid_t pid_;
  const std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mutex_
  std::atomic<int64_t> peak_{-1};
  std::atomic<int64_t> samples_{0};
  std::thread thread_;
};

}  // namespace loyalty::tools
