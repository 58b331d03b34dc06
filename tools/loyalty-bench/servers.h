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
#include <optional>
#include <string>
#include <vector>

#include "common/endpoint.h"
#include "loyalty/base/result.h"

namespace loyalty::agent {
class ClientTls;
}  // namespace loyalty::agent

namespace loyalty::tools {

// The admin user of a core started here (its bootstrap HQ admin, used for the catalogue import).
inline constexpr const char* kBenchAdminUser = "bench";

// The certificates of a run with --tls (PEM files in the folder, made with loyalty::ca_lib): a CA,
// the core's server certificate for 127.0.0.1, and one terminal certificate that every till and
// spawned pos-agent presents.
struct BenchTlsFiles {
  std::string caCertificate;
  std::string crl;
  std::string serverCertificate;
  std::string serverKey;
  std::string terminalCertificate;
  std::string terminalKey;
};

class SpawnedServers {
 public:
  ~SpawnedServers();
  SpawnedServers(const SpawnedServers&) = delete;
  SpawnedServers& operator=(const SpawnedServers&) = delete;

  // An empty set with its temporary folder.
  static base::Result<std::unique_ptr<SpawnedServers>> create();

  // coreThreads 0 = the core's default. databasePath "" = core.db in the folder; else that file
  // (absolute, or relative to the folder), which the core opens in place.
  // tls: the core serves mutual TLS only, with certificates made in the folder on the first
  // such call (tlsFiles()); pos-agents started after it reach it with the terminal certificate.
  base::Result<Endpoint> startCore(int coreThreads, const std::string& databasePath = "",
                                   bool tls = false);
  // An extra "key = value" line for the configuration of the next startCore (e.g.
  // loyalty.core.http.keepAliveTimeoutS for scenario tills).
  void addCoreProperty(const std::string& key, const std::string& value);
  // An extra "key = value" line for the configuration of every later startAgent (e.g.
  // loyalty.agent.outbox.deliveryConcurrency for scenario drain).
  void addAgentProperty(const std::string& key, const std::string& value);
  // Requires: a core address (started here or not). After startCore with tls, the agent's core
  // link uses TLS with the terminal certificate.
  base::Result<Endpoint> startAgent(const Endpoint& core, int index, int budgetMs);

  const std::string& dir() const { return dir_; }
  // The spawned core's HQ admin (kBenchAdminUser) password, random per run; "" before startCore.
  const std::string& adminPassword() const { return adminPassword_; }
  size_t processCount() const { return children_.size(); }
  // Stops every child now, as the destructor does (the folder stays until the destructor).
  void stopAll();
  // The process id of the core started here; 0 before startCore.
  pid_t corePid() const { return corePid_; }
  // The certificates, once a core was started with tls.
  const std::optional<BenchTlsFiles>& tlsFiles() const { return tls_; }

 private:
  SpawnedServers() = default;
  base::Result<Endpoint> launch(const std::string& binary, const std::string& name,
                                const std::string& config);
  base::Status makeTlsFiles();  // once: sets tls_

  std::string dir_;
  std::string adminPassword_;
  std::vector<pid_t> children_;
  pid_t corePid_ = 0;
  std::optional<BenchTlsFiles> tls_;
  std::string coreProperties_;  // addCoreProperty's lines
  std::string agentProperties_;  // addAgentProperty's lines
};

// The folder of the running executable (from /proc/self/exe), or "." when it cannot be read.
std::string ownExecutableDir();

// Logs in to the admin API of a core started here as kBenchAdminUser (with tls when the core
// speaks mutual TLS); returns the bearer token. Errors: the client's, or kUnauthorized with the
// HTTP status and body when the login is refused.
base::Result<std::string> benchAdminToken(const Endpoint& core, const std::string& password,
                                          const std::shared_ptr<agent::ClientTls>& tls = nullptr);

}  // namespace loyalty::tools
