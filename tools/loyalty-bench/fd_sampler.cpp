#include "loyalty-bench/fd_sampler.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace loyalty::tools {
namespace {

std::string fdDir(pid_t pid) { return "/proc/" + std::to_string(pid) + "/fd"; }

// Calls fn(name) for every entry of /proc/<pid>/fd but "." and ".."; false when unreadable.
template <typename Fn>
bool forEachFd(pid_t pid, Fn fn) {
  DIR* dir = ::opendir(fdDir(pid).c_str());
  if (dir == nullptr) {
    return false;
  }
  while (dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') {
      continue;
    }
    fn(e->d_name);
  }
  ::closedir(dir);
  return true;
}

}  // namespace

int64_t countOpenFds(pid_t pid) {
  // Since Linux 6.2 the size of /proc/<pid>/fd is its number of open descriptors: one stat()
  // instead of a directory scan (15 ms for 15,000 descriptors, 50 us this way).
  struct stat st {};
  if (::stat(fdDir(pid).c_str(), &st) == 0 && st.st_size > 0) {
    return static_cast<int64_t>(st.st_size);
  }
  int64_t n = 0;
  if (!forEachFd(pid, [&](const char*) { ++n; })) {
    return -1;
  }
  return n;
}

int64_t countNonSocketFds(pid_t pid) {
  int64_t n = 0;
  const std::string dir = fdDir(pid) + "/";
  const bool ok = forEachFd(pid, [&](const char* name) {
    char target[128];
    const ssize_t len = ::readlink((dir + name).c_str(), target, sizeof target - 1);
    if (len > 0) {
      target[len] = '\0';
      if (std::strncmp(target, "socket:", 7) != 0) {
        ++n;
      }
    }  // else it closed during the scan: neither kind
  });
  return ok ? n : -1;
}

int64_t openFileLimitOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max open files", 0) == 0) {
      const std::string rest = line.substr(14);
      const size_t start = rest.find_first_not_of(' ');
      if (start == std::string::npos) {
        return -1;
      }
      if (rest.compare(start, 9, "unlimited") == 0) {
        return INT64_MAX;
      }
      return std::atoll(rest.c_str() + start);
    }
  }
  return -1;
}

double cpuSecondsOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) {
    return -1;
  }
  // The command name may hold spaces: the fields count from the last ')'. utime and stime are
  // fields 14 and 15 (1-based), the 12th and 13th after it.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) {
    return -1;
  }
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  long long utime = 0;
  long long stime = 0;
  for (int i = 1; i <= 13 && fields >> field; ++i) {
    if (i == 12) {
      utime = std::atoll(field.c_str());
    } else if (i == 13) {
      stime = std::atoll(field.c_str());
    }
  }
  const long ticks = ::sysconf(_SC_CLK_TCK);
  return ticks > 0 ? static_cast<double>(utime + stime) / static_cast<double>(ticks) : -1;
}

double loadAverage() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  in >> load;
  return in ? load : -1;
}

FdSampler::FdSampler(pid_t pid, std::chrono::milliseconds interval)
    : pid_(pid), interval_(interval), thread_([this] { loop(); }) {}

FdSampler::~FdSampler() { stop(); }

void FdSampler::stop() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
    sampleOnce();
  }
}

void FdSampler::sampleOnce() {
  const int64_t n = countOpenFds(pid_);
  if (n < 0) {
    return;
  }
  ++samples_;
  if (n > peak_.load()) {
    peak_ = n;
  }
}

void FdSampler::loop() {
  auto next = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    lock.unlock();
    sampleOnce();
    lock.lock();
    next += interval_;
    wake_.wait_until(lock, next, [this] { return stop_; });
  }
}

}  // namespace loyalty::tools
