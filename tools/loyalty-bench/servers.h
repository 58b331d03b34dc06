// SpawnedServers: the loyalty-core and pos-agents that loyalty-bench starts for itself when it is
// not given their addresses. Each runs from the folder of loyalty-bench's own executable, on
// 127.0.0.1 with a port chosen by the OS (read back from its port file), with its database,
// configuration and log in a fresh temporary folder that is removed at the end. A core started
// here has one HQ admin, kBenchAdminUser, with a random password (adminPassword()).
//
// Errors: kUnavailable when a binary is missing or a daemon does not write its port file within
// 15 s (the message names the log to read); kInternal for a failed fork or temp folder.
//
// Thread safety: none; one owner. The destructor stops every child (SIGTERM, then SIGKILL after
// 5 s) and removes the folder.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "common/endpoint.h"
#include "loyalty/base/result.h"

namespace loyalty::tools {

// The admin user of a core started here (its bootstrap HQ admin, used for the catalogue import).
inline constexpr const char* kBenchAdminUser = "bench";

class SpawnedServers {
 public:
  ~SpawnedServers();
  SpawnedServers(const SpawnedServers&) = delete;
  SpawnedServers& operator=(const SpawnedServers&) = delete;

  // An empty set with its temporary folder.
  static base::Result<std::unique_ptr<SpawnedServers>> create();

  // coreThreads 0 = the core's default. databasePath "" = core.db in the folder; else that file
  // (absolute, or relative to the folder), which the core opens in place.
  base::Result<Endpoint> startCore(int coreThreads, const std::string& databasePath = "");
  // Requires: a core address (started here or not).
  base::Result<Endpoint> startAgent(const Endpoint& core, int index, int budgetMs);

  const std::string& dir() const { return dir_; }
  // The spawned core's HQ admin (kBenchAdminUser) password, random per run; "" before startCore.
  const std::string& adminPassword() const { return adminPassword_; }
  size_t processCount() const { return children_.size(); }
  // Stops every child now, as the destructor does (the folder stays until the destructor).
  void stopAll();
  // The process id of the core started here; 0 before startCore.
  pid_t corePid() const { return corePid_; }

 private:
  SpawnedServers() = default;
  base::Result<Endpoint> launch(const std::string& binary, const std::string& name,
                                const std::string& config);

  std::string dir_;
  std::string adminPassword_;
  std::vector<pid_t> children_;
  pid_t corePid_ = 0;
};

// The folder of the running executable (from /proc/self/exe), or "." when it cannot be read.
std::string ownExecutableDir();

}  // namespace loyalty::tools
