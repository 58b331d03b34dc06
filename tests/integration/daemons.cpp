#include "integration/daemons.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <stdexcept>
#include <thread>

#include "loyalty/protocol/json.h"

namespace loyalty::testing {
namespace {

std::string logging(const std::string& logFile) {
  return "logging.loggers.root.channel = file\n"
         "logging.loggers.root.level = information\n"
         "logging.channels.file.class = FileChannel\n"
         "logging.channels.file.path = " + logFile + "\n"
         "logging.channels.file.formatter.class = PatternFormatter\n"
         "logging.channels.file.formatter.pattern = %Y-%m-%d %H:%M:%S.%i [%p] %s: %t\n";
}

}  // namespace

CoreDaemon::CoreDaemon(const TempDir& dir, std::string extraConfig)
    : dir_(dir), extraConfig_(std::move(extraConfig)) {}

void CoreDaemon::start() {
  const std::string portFile = dir_.file("core.port");
  std::remove(portFile.c_str());
  const std::string config = dir_.file("core.properties");
  writeFile(dir_.file("admin.password"), std::string(kAdminPassword) + "\n");
  writeFile(config, "loyalty.core.http.host = 127.0.0.1\n"
                    "loyalty.core.http.port = " + std::to_string(port_) + "\n"
                    "loyalty.core.http.portFile = core.port\n"
                    "loyalty.core.storage.path = core.db\n"
                    "loyalty.core.admin.bootstrapUser = " + kAdminUser + "\n"
                    "loyalty.core.admin.bootstrapPasswordFile = admin.password\n"
                    "loyalty.core.admin.passwordIterations = 1000\n" +
                    logging(dir_.file("core.log")) + extraConfig_);
  process_ = ChildProcess(coreBinary(), {"--config=" + config}, dir_.file("core.out"));
  uint16_t port = waitForPortFile(portFile);
  if (port == 0) {
    throw std::runtime_error("loyalty-core did not start; see " + dir_.file("core.log"));
  }
  port_ = port;
}

void CoreDaemon::kill() { process_.kill(SIGKILL); }
void CoreDaemon::stop() { process_.kill(SIGTERM); }

agent::Client CoreDaemon::client(int timeoutMs) const {
  return agent::Client(agent::ClientOptions{"127.0.0.1", port_, timeoutMs});
}

std::string CoreDaemon::adminToken() const {
  auto anonymous = client();
  auto answer = anonymous.send("POST", "/v1/admin/login",
                               std::string("{\"user\":\"") + kAdminUser + "\",\"password\":\"" +
                                   kAdminPassword + "\"}");
  if (!answer.ok() || answer->status != 200) {
    throw std::runtime_error("admin login failed: " +
                             (answer.ok() ? answer->body : answer.error().message));
  }
  auto parsed = protocol::json::parse(answer->body);
  const protocol::json::Value* token = parsed.ok() ? parsed->find("token") : nullptr;
  if (token == nullptr || !token->isString()) {
    throw std::runtime_error("admin login answered without a token: " + answer->body);
  }
  return token->asString();
}

agent::Client CoreDaemon::adminClient(int timeoutMs) const {
  return agent::Client(agent::ClientOptions{"127.0.0.1", port_, timeoutMs, adminToken()});
}

std::string loyaltyctlBinary() { return LOYALTYCTL_BIN; }

std::string CoreDaemon::enableCoupons() {
  const std::string keys = dir_.file("keys");
  ::mkdir(keys.c_str(), 0700);
  generateCouponKeys(keys, 1);
  extraConfig_ += "loyalty.core.coupons.keyDir = " + keys + "\n"
                  "loyalty.core.coupons.signingKeyId = 1\n";
  return keys;
}

void generateCouponKeys(const std::string& dir, uint16_t keyId) {
  EVP_PKEY* key = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_keygen(ctx, &key) <= 0) {
    EVP_PKEY_CTX_free(ctx);
    throw std::runtime_error("cannot generate an Ed25519 key");
  }
  EVP_PKEY_CTX_free(ctx);
  const std::string base = dir + "/coupon-key-" + std::to_string(keyId);
  FILE* priv = std::fopen((base + ".pem").c_str(), "w");
  FILE* pub = std::fopen((base + ".pub.pem").c_str(), "w");
  const bool ok = priv != nullptr && pub != nullptr &&
                  PEM_write_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr) == 1 &&
                  PEM_write_PUBKEY(pub, key) == 1;
  if (priv != nullptr) {
    std::fclose(priv);
  }
  if (pub != nullptr) {
    std::fclose(pub);
  }
  EVP_PKEY_free(key);
  if (!ok) {
    throw std::runtime_error("cannot write the coupon keys to " + dir);
  }
}

AgentDaemon::AgentDaemon(const TempDir& dir, std::string name, uint16_t corePort, int budgetMs,
                         std::string couponKeyDir)
    : dir_(dir),
      name_(std::move(name)),
      corePort_(corePort),
      budgetMs_(budgetMs),
      couponKeyDir_(std::move(couponKeyDir)) {}

void AgentDaemon::start() {
  const std::string portFile = dir_.file(name_ + ".port");
  std::remove(portFile.c_str());
  const std::string config = dir_.file(name_ + ".properties");
  writeFile(config, "loyalty.agent.http.host = 127.0.0.1\n"
                    "loyalty.agent.http.port = 0\n"
                    "loyalty.agent.http.portFile = " + name_ + ".port\n"
                    "loyalty.agent.core.host = 127.0.0.1\n"
                    "loyalty.agent.core.port = " + std::to_string(corePort_) + "\n"
                    "loyalty.agent.core.budgetMs = " + std::to_string(budgetMs_) + "\n"
                    "loyalty.agent.outbox.path = " + name_ + ".db\n"
                    "loyalty.agent.outbox.retryInitialMs = 20\n"
                    "loyalty.agent.outbox.retryMaxMs = 200\n" +
                    (couponKeyDir_.empty() ? std::string()
                                           : "loyalty.agent.coupons.keyDir = " + couponKeyDir_ +
                                                 "\n") +
                    logging(dir_.file(name_ + ".log")) + extraConfig_);
  process_ = ChildProcess(agentBinary(), {"--config=" + config}, dir_.file(name_ + ".out"));
  port_ = waitForPortFile(portFile);
  if (port_ == 0) {
    throw std::runtime_error("pos-agent did not start; see " + dir_.file(name_ + ".log"));
  }
}

void AgentDaemon::kill() { process_.kill(SIGKILL); }
void AgentDaemon::stop() { process_.kill(SIGTERM); }

agent::Client AgentDaemon::client(int timeoutMs) const {
  return agent::Client(agent::ClientOptions{"127.0.0.1", port_, timeoutMs});
}

int64_t AgentDaemon::outboxPending() const {
  auto c = client(2000);
  auto s = c.agentStatus();
  return s.ok() ? s->outboxPending : -1;
}

int64_t AgentDaemon::offersCached() const {
  try {
    DbInspector db(dir_.file(name_ + ".db"));
    return db.scalar("SELECT COALESCE(json_array_length(body, '$.offers'), 0) FROM offers_cache");
  } catch (const std::exception&) {
    return 0;  // not created yet
  }
}

std::string loyaltyCaBinary() { return LOYALTY_CA_BIN; }

TestCa::TestCa(const TempDir& dir, std::string name)
    : dir_(dir),
      name_(std::move(name)),
      caDir_(dir.file(name_)),
      outDir_(dir.file(name_ + "-issued")) {
  if (run({"init", "--out", caDir_, "--name", "Integration " + name_}) != 0 ||
      run({"issue", "--ca", caDir_, "--kind", "server", "--name", "127.0.0.1", "--out",
           outDir_}) != 0) {
    throw std::runtime_error("loyalty-ca failed; see " + dir_.file(name_ + ".log"));
  }
}

int TestCa::run(const std::vector<std::string>& args) {
  ChildProcess process(loyaltyCaBinary(), args, dir_.file(name_ + ".log"));
  return process.wait();
}

TestCa::Terminal TestCa::issueTerminal(const std::string& store, const std::string& terminal) {
  if (run({"issue", "--ca", caDir_, "--kind", "terminal", "--store", store, "--terminal",
           terminal, "--out", outDir_}) != 0) {
    throw std::runtime_error("loyalty-ca issue failed; see " + dir_.file(name_ + ".log"));
  }
  const std::string base = outDir_ + "/terminal-" + store + "-" + terminal;
  return Terminal{base + ".cert.pem", base + ".key.pem"};
}

void TestCa::revoke(const Terminal& terminal) {
  if (run({"revoke", "--ca", caDir_, "--cert", terminal.certificate}) != 0) {
    throw std::runtime_error("loyalty-ca revoke failed; see " + dir_.file(name_ + ".log"));
  }
}

std::string TestCa::coreConfig(bool withCrl) const {
  return "loyalty.core.tls.certificate = " + serverCertificate() + "\n" +
         "loyalty.core.tls.privateKey = " + serverKey() + "\n" +
         "loyalty.core.tls.caCertificate = " + caCertificate() + "\n" +
         (withCrl ? "loyalty.core.tls.crl = " + crl() + "\n" : std::string());
}

std::string TestCa::agentConfig(const Terminal& terminal) const {
  return "loyalty.agent.core.tls.caCertificate = " + caCertificate() + "\n" +
         "loyalty.agent.core.tls.certificate = " + terminal.certificate + "\n" +
         "loyalty.agent.core.tls.privateKey = " + terminal.privateKey + "\n";
}

agent::ClientTlsFiles TestCa::clientFiles(const Terminal* terminal) const {
  agent::ClientTlsFiles files;
  files.caCertificateFile = caCertificate();
  if (terminal != nullptr) {
    files.certificateFile = terminal->certificate;
    files.privateKeyFile = terminal->privateKey;
  }
  return files;
}

DbInspector::DbInspector(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + path);
  }
  sqlite3_busy_timeout(db, 5000);
  db_ = db;
}

DbInspector::~DbInspector() { sqlite3_close(static_cast<sqlite3*>(db_)); }

int64_t DbInspector::scalar(const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(static_cast<sqlite3*>(db_), sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    throw std::runtime_error("bad query: " + sql + ": " +
                             sqlite3_errmsg(static_cast<sqlite3*>(db_)));
  }
  int64_t v = 0;
  if (sqlite3_step(st) == SQLITE_ROW) {
    v = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  return v;
}

std::map<std::string, int64_t> DbInspector::pairs(const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(static_cast<sqlite3*>(db_), sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    throw std::runtime_error("bad query: " + sql);
  }
  std::map<std::string, int64_t> out;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char* k = sqlite3_column_text(st, 0);
    out[k != nullptr ? reinterpret_cast<const char*>(k) : ""] = sqlite3_column_int64(st, 1);
  }
  sqlite3_finalize(st);
  return out;
}

void DbInspector::checkBalances(const std::map<std::string, int64_t>& expectedByCard) {
  auto balances = pairs("SELECT card, balance FROM customers");
  auto ledgerSums = pairs(
      "SELECT c.card, COALESCE(SUM(l.points), 0) FROM customers c "
      "LEFT JOIN ledger l ON l.customer_id = c.id GROUP BY c.id");
  REQUIRE(balances.size() == expectedByCard.size());
  for (const auto& [card, points] : expectedByCard) {
    INFO("customer with card ending " << card.substr(card.size() - 4));
    CHECK(balances[card] == points);
    CHECK(ledgerSums[card] == points);
  }
}

std::string DbInspector::snapshot() {
  auto* db = static_cast<sqlite3*>(db_);
  std::vector<std::string> tables;
  {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name", -1,
                       &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW) {
      tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    }
    sqlite3_finalize(st);
  }
  std::string out;
  for (const auto& t : tables) {
    if (t == "audit" || t == "tokens") {
      continue;  // the admin API's own bookkeeping: logins and audited (even no-op) calls
    }
    out += "table " + t + "\n";
    sqlite3_stmt* st = nullptr;
    std::string sql = "SELECT * FROM \"" + t + "\" ORDER BY 1";
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      continue;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        const unsigned char* v = sqlite3_column_text(st, i);
        out += v != nullptr ? reinterpret_cast<const char*>(v) : "NULL";
        out += '|';
      }
      out += '\n';
    }
    sqlite3_finalize(st);
  }
  return out;
}

}  // namespace loyalty::testing

namespace loyalty::testing {

std::string testCatalogueCsv() {
  std::string csv = "sku,name,category_path,brand\n";
  for (int i = 1; i <= 200; ++i) {
    csv += "P" + std::to_string(i) + ",Product " + std::to_string(i) + ",grocery/aisle" +
           std::to_string(i % 12) + ",Brand " + std::to_string(i % 7) + "\n";
  }
  for (int i = 1; i <= 10; ++i) {
    csv += "ALC" + std::to_string(i) + ",\"Beer, pack " + std::to_string(i) +
           "\",alcohol/beer,Brewery\n";
  }
  return csv;
}

bool isExcludedTestSku(const std::string& sku) { return sku.rfind("ALC", 0) == 0; }

protocol::CommitRequest makeCommit(std::mt19937_64& rng, const protocol::TransactionKey& key,
                                   const std::string& card, int maxLines) {
  protocol::CommitRequest c;
  c.key = key;
  c.card = card;
  const int n = 1 + static_cast<int>(rng() % static_cast<uint64_t>(maxLines));
  int64_t total = 0;
  for (int i = 0; i < n; ++i) {
    protocol::BasketLine l;
    l.line = i + 1;
    l.sku = rng() % 8 == 0 ? "ALC" + std::to_string(1 + rng() % 10)
                           : "P" + std::to_string(1 + rng() % 200);
    l.quantity = 1 + static_cast<int64_t>(rng() % 3);
    l.unitPrice = base::Money(49 + static_cast<int64_t>(rng() % 1951));
    total += l.quantity * l.unitPrice.value();
    c.lines.push_back(l);
  }
  c.tenders.push_back(protocol::Tender{"card", base::Money(total)});
  return c;
}

int64_t expectedPoints(const protocol::CommitRequest& commit) {
  int64_t eligible = 0;
  for (const auto& l : commit.lines) {
    if (!isExcludedTestSku(l.sku)) {
      eligible += l.quantity * l.unitPrice.value();
    }
  }
  return eligible / 100;
}

}  // namespace loyalty::testing
