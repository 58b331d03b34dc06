// Integration harness: the real loyalty-core and pos-agent processes on loopback ports chosen
// by the OS, each with its own SQLite file in a temporary directory, plus read-only inspection
// of the core's database.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "loyalty/agent/client.h"
#include "support/test_support.h"

namespace loyalty::testing {

inline constexpr const char* kAdminUser = "admin";
inline constexpr const char* kAdminPassword = "integration-test-password";

// Writes an Ed25519 key pair as loyalty-keys does: dir/coupon-key-<id>.pem and .pub.pem.
void generateCouponKeys(const std::string& dir, uint16_t keyId);

// The loyaltyctl binary (path injected by CMake).
std::string loyaltyctlBinary();

// The loyalty-core daemon. start() binds port 0 the first time and the same port on restarts.
// Its first HQ admin is kAdminUser / kAdminPassword (bootstrap keys of the configuration).
class CoreDaemon {
 public:
  explicit CoreDaemon(const TempDir& dir, std::string extraConfig = "");
  void start();
  void kill();       // SIGKILL
  void stop();       // SIGTERM, clean exit
  uint16_t port() const { return port_; }
  std::string databasePath() const { return dir_.file("core.db"); }
  agent::Client client(int timeoutMs = 5000) const;
  // A token of kAdminUser (POST /v1/admin/login), and a client that sends it.
  std::string adminToken() const;
  agent::Client adminClient(int timeoutMs = 5000) const;
  // Coupon keys in dir()/keys (key id 1 signs); call before start(). Returns the key dir.
  std::string enableCoupons();

 private:
  const TempDir& dir_;
  std::string extraConfig_;
  uint16_t port_ = 0;
  ChildProcess process_;
};

class AgentDaemon {
 public:
  AgentDaemon(const TempDir& dir, std::string name, uint16_t corePort, int budgetMs = 300,
              std::string couponKeyDir = "");
  // Lines appended to the configuration written by start() (e.g. TestCa::agentConfig).
  void setExtraConfig(std::string lines) { extraConfig_ = std::move(lines); }
  std::string logFile() const { return dir_.file(name_ + ".log"); }
  void start();
  void kill();  // SIGKILL
  void stop();  // SIGTERM
  uint16_t port() const { return port_; }
  agent::Client client(int timeoutMs = 5000) const;
  // Pending items in the outbox, or -1 when the status call failed.
  int64_t outboxPending() const;
  // Offers in the agent's cache of the core's active campaigns (read from its database).
  int64_t offersCached() const;

 private:
  const TempDir& dir_;
  std::string name_;
  uint16_t corePort_;
  int budgetMs_;
  std::string couponKeyDir_;
  std::string extraConfig_;
  uint16_t port_ = 0;
  ChildProcess process_;
};

// The loyalty-ca binary (path injected by CMake).
std::string loyaltyCaBinary();

// A chain CA made by the real loyalty-ca binary in dir/<name>: `init`, a server certificate for
// 127.0.0.1, and terminal certificates on demand. Failures throw std::runtime_error.
class TestCa {
 public:
  struct Terminal {
    std::string certificate;
    std::string privateKey;
  };

  explicit TestCa(const TempDir& dir, std::string name = "ca");
  const std::string& caDir() const { return caDir_; }
  std::string caCertificate() const { return caDir_ + "/ca.cert.pem"; }
  std::string crl() const { return caDir_ + "/ca.crl.pem"; }
  std::string serverCertificate() const { return outDir_ + "/server-127.0.0.1.cert.pem"; }
  std::string serverKey() const { return outDir_ + "/server-127.0.0.1.key.pem"; }

  Terminal issueTerminal(const std::string& store, const std::string& terminal);
  void revoke(const Terminal& terminal);
  // Runs loyalty-ca with args; returns its exit status (its output goes to dir/<name>.log).
  int run(const std::vector<std::string>& args);

  // loyalty.core.tls.* lines: server certificate, CA, and the CRL when withCrl.
  std::string coreConfig(bool withCrl = true) const;
  // loyalty.agent.core.tls.* lines for a till.
  std::string agentConfig(const Terminal& terminal) const;
  // A TLS state for a Client: the CA, and the till's certificate when given.
  agent::ClientTlsFiles clientFiles(const Terminal* terminal = nullptr) const;

 private:
  const TempDir& dir_;
  std::string name_;
  std::string caDir_;
  std::string outDir_;
};

// Read-only queries on a SQLite file (the core's database), for checking what was stored.
class DbInspector {
 public:
  explicit DbInspector(const std::string& path);
  ~DbInspector();
  DbInspector(const DbInspector&) = delete;
  DbInspector& operator=(const DbInspector&) = delete;
  int64_t scalar(const std::string& sql);
  // Rows of (text key, integer value) from a two-column query.
  std::map<std::string, int64_t> pairs(const std::string& sql);
  // A digest of every row of every table but the admin API's audit log and login tokens: equal
  // before and after means no business data changed.
  std::string snapshot();
  // Checks, with Catch2 assertions, that exactly the expected customers exist and that each
  // one's balance and the sum of their ledger entries both equal the expected points.
  void checkBalances(const std::map<std::string, int64_t>& expectedByCard);

 private:
  void* db_ = nullptr;
};

}  // namespace loyalty::testing

#include <random>

#include "loyalty/protocol/messages.h"

namespace loyalty::testing {

// The catalogue the integration tests import: SKUs "P1".."P200" in grocery categories and
// "ALC1".."ALC10" in alcohol/beer, which the default earn rule excludes.
std::string testCatalogueCsv();
bool isExcludedTestSku(const std::string& sku);

// A deterministic basket of 1..maxLines lines drawn from the test catalogue.
protocol::CommitRequest makeCommit(std::mt19937_64& rng, const protocol::TransactionKey& key,
                                   const std::string& card, int maxLines);
// The points the default earn rule (1 point per 1.00 of non-excluded spend) gives a basket,
// computed independently of the core.
int64_t expectedPoints(const protocol::CommitRequest& commit);

}  // namespace loyalty::testing
