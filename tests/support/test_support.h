// Shared test helpers: temporary directories, child processes of the real daemons, waiting on a
// condition with a deadline, and a ManualClock. Deterministic by construction: no fixed sleeps as
// synchronisation, ports chosen by the OS.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace loyalty::testing {

// A fresh directory under the system temp dir, removed with its contents on destruction
// (kept when LOYALTY_KEEP_TEST_DIRS is set, for debugging).
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "loyalty-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void writeFile(const std::string& path, const std::string& content);
std::string readFile(const std::string& path);

// Runs `command` through the shell and returns what it printed on stdout; status gets
// pclose()'s wait status (-1 when the command could not be started).
std::string runCommand(const std::string& command, int& status);

// Polls condition every few milliseconds until it is true or timeout passes; returns its last
// value. This is waiting on a condition, not sleeping for a guessed time.
bool waitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(20));

// A child process (fork + exec), its stdout and stderr appended to logFile.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const std::string& exe, const std::vector<std::string>& args,
               const std::string& logFile);
  ~ChildProcess();  // SIGKILLs a still-running child
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void kill(int signal);  // sends the signal (SIGKILL, SIGTERM) and reaps the child
  int wait();             // waits for exit; returns the exit status (or 128+signal)

 private:
  pid_t pid_ = -1;
};

// Reads the port a daemon wrote to its port file, once it exists. Returns 0 on timeout.
uint16_t waitForPortFile(const std::string& path,
                         std::chrono::milliseconds timeout = std::chrono::seconds(20));

// The daemons under test (paths injected by CMake).
std::string coreBinary();
std::string agentBinary();

}  // namespace loyalty::testing
