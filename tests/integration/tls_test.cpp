// Mutual TLS between pos-agent and loyalty-core with the real daemons and certificates made at
// test time by the real loyalty-ca binary (nothing committed): sales flow over mTLS, clients
// without a good certificate are refused in the handshake (none, another chain's, revoked,
// plain HTTP), a revocation takes effect without a restart and cannot be dodged by resuming an
// old TLS session, the agent reconnects to a restarted core and resumes sessions, and bad TLS
// configuration stops either daemon with exit code 78. The tests with a running core run on both
// of its HTTP engines (loyalty.core.http.engine: event, the default, and poco).
#include <signal.h>
#include <sys/types.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <regex>
#include <string>

#include "integration/daemons.h"
#include "loyalty/protocol/card.h"

using namespace loyalty;
using namespace loyalty::testing;

namespace {

constexpr int kExitConfig = 78;

protocol::CommitRequest sale(const std::string& terminal, const std::string& txn,
                             const std::string& card, int64_t unitPrice) {
  protocol::CommitRequest c;
  c.key = protocol::TransactionKey{"S042", terminal, "2026-11-23", txn};
  c.card = card;
  protocol::BasketLine line;
  line.line = 1;
  line.sku = "P1";
  line.quantity = 2;
  line.unitPrice = base::Money(unitPrice);
  c.lines.push_back(line);
  c.tenders.push_back(protocol::Tender{"card", base::Money(2 * unitPrice)});
  return c;
}

std::shared_ptr<agent::ClientTls> clientTls(const agent::ClientTlsFiles& files) {
  auto tls = agent::ClientTls::create(files);
  INFO((tls.ok() ? std::string() : tls.error().message));
  REQUIRE(tls.ok());
  return *tls;
}

// One GET /v1/offers on a new connection with tls; the HTTP status, or the transport error.
base::Result<int> probe(uint16_t port, const std::shared_ptr<agent::ClientTls>& tls) {
  agent::ClientOptions options{"127.0.0.1", port, 3000};
  options.tls = tls;
  agent::Client client(options);
  auto answer = client.send("GET", "/v1/offers", "");
  if (!answer.ok()) {
    return answer.error();
  }
  return answer->status;
}

bool refused(const base::Result<int>& outcome) {
  return !outcome.ok() && outcome.error().code == base::ErrorCode::kUnavailable;
}

// Whether process pid has exited (a zombie not reaped yet, so that wait() still gets its status).
bool hasExited(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const size_t name = stat.rfind(')');
  return name == std::string::npos || (name + 2 < stat.size() && stat[name + 2] == 'Z');
}

// Starts a daemon with the configuration config and returns its exit status, or -1 when it is
// still running after 20 s (the configuration was accepted; the daemon is then killed).
int exitStatusWith(const TempDir& dir, const std::string& binary, const std::string& name,
                   const std::string& config) {
  writeFile(dir.file(name + ".properties"), config);
  ChildProcess process(binary, {"--config=" + dir.file(name + ".properties")},
                       dir.file(name + ".out"));
  if (!waitUntil([&] { return hasExited(process.pid()); })) {
    process.kill(SIGKILL);
    return -1;
  }
  return process.wait();
}

std::string coreBase(const TempDir& dir, const std::string& name) {
  return "loyalty.core.http.host = 127.0.0.1\n"
         "loyalty.core.http.port = 0\n"
         "loyalty.core.storage.path = " +
         dir.file(name + ".db") + "\n";
}

// The engine line of the core's configuration, one run per engine.
std::string engineLine(const std::string& engine) {
  return "loyalty.core.http.engine = " + engine + "\n";
}

std::string agentBase(const TempDir& dir, const std::string& name) {
  return "loyalty.agent.http.port = 0\n"
         "loyalty.agent.outbox.path = " +
         dir.file(name + ".db") + "\n";
}

}  // namespace

TEST_CASE("TLS: a commit through an agent over mutual TLS is stored", "[integration]") {
  const std::string engine = GENERATE(as<std::string>{}, "event", "poco");
  INFO("http.engine = " << engine);
  TempDir dir("loyalty-tls");
  TestCa ca(dir);
  TestCa::Terminal till = ca.issueTerminal("S042", "T01");
  CoreDaemon core(dir, ca.coreConfig() + engineLine(engine));
  core.start();
  AgentDaemon agentDaemon(dir, "agent", core.port());
  agentDaemon.setExtraConfig(ca.agentConfig(till));
  agentDaemon.start();

  const std::string card = protocol::cardForCustomerNumber(4242);
  auto pos = agentDaemon.client();
  auto identified = pos.identify(protocol::IdentifyRequest{card, "S042", "T01"});
  REQUIRE(identified.ok());
  CHECK_FALSE(identified->offline);  // the agent reached the core

  auto committed = pos.commit(sale("T01", "000001", card, 1250));
  REQUIRE(committed.ok());
  CHECK(committed->status == protocol::kStatusCommitted);
  REQUIRE(committed->pointsEarned.has_value());
  CHECK(committed->pointsEarned->value() == 25);
  CHECK(agentDaemon.outboxPending() == 0);

  DbInspector db(core.databasePath());
  CHECK(db.scalar("SELECT COUNT(*) FROM sales") == 1);
  db.checkBalances({{card, 25}});
  CHECK_THAT(readFile(dir.file("core.log")),
             Catch::Contains(engine == "event" ? "(HTTPS, event engine" : "(HTTPS)"));
}

TEST_CASE("TLS: the core refuses clients without a good certificate, and plain HTTP",
          "[integration]") {
  const std::string engine = GENERATE(as<std::string>{}, "event", "poco");
  INFO("http.engine = " << engine);
  TempDir dir("loyalty-tls");
  TestCa ca(dir);
  TestCa other(dir, "other-ca");  // another chain: same kind of files, another key
  TestCa::Terminal till = ca.issueTerminal("S042", "T01");
  TestCa::Terminal stranger = other.issueTerminal("S042", "T01");
  CoreDaemon core(dir, ca.coreConfig() + engineLine(engine));
  core.start();

  // A till of this chain gets in.
  auto good = probe(core.port(), clientTls(ca.clientFiles(&till)));
  REQUIRE(good.ok());
  CHECK(*good == 200);

  // No client certificate: refused during the handshake.
  CHECK(refused(probe(core.port(), clientTls(ca.clientFiles()))));
  // A certificate of another CA (made with the same tool and names): refused. The client
  // trusts both CAs, so that it accepts the core and may present the stranger's certificate.
  writeFile(dir.file("both-cas.pem"),
            readFile(ca.caCertificate()) + readFile(other.caCertificate()));
  agent::ClientTlsFiles foreign = ca.clientFiles(&stranger);
  foreign.caCertificateFile = dir.file("both-cas.pem");
  CHECK(refused(probe(core.port(), clientTls(foreign))));
  // A client that does not trust the core's certificate refuses the core.
  CHECK(refused(probe(core.port(), clientTls(other.clientFiles(&stranger)))));
  // Plain HTTP to the TLS port gets no HTTP answer.
  CHECK(refused(probe(core.port(), nullptr)));

  // An agent without TLS configured cannot deliver to the TLS core: its sale is queued.
  AgentDaemon plainAgent(dir, "plain-agent", core.port());
  plainAgent.start();
  const std::string card = protocol::cardForCustomerNumber(77);
  auto queued = plainAgent.client().commit(sale("T09", "000001", card, 500));
  REQUIRE(queued.ok());
  CHECK(queued->status == protocol::kStatusQueued);
  CHECK(plainAgent.outboxPending() == 1);
  DbInspector db(core.databasePath());
  CHECK(db.scalar("SELECT COUNT(*) FROM sales") == 0);
}

TEST_CASE("TLS: a revoked terminal is refused at once, even when it resumes a session",
          "[integration]") {
  const std::string engine = GENERATE(as<std::string>{}, "event", "poco");
  INFO("http.engine = " << engine);
  TempDir dir("loyalty-tls");
  TestCa ca(dir);
  TestCa::Terminal kept = ca.issueTerminal("S042", "T01");
  TestCa::Terminal lost = ca.issueTerminal("S042", "T02");
  CoreDaemon core(dir, ca.coreConfig() + engineLine(engine));
  core.start();

  // The till to be revoked connects twice: the second connection resumes the first's session.
  auto lostTls = clientTls(ca.clientFiles(&lost));
  REQUIRE(probe(core.port(), lostTls).ok());
  REQUIRE(probe(core.port(), lostTls).ok());
  CHECK(lostTls->connections() == 2);
  CHECK(lostTls->resumedConnections() == 1);

  ca.revoke(lost);
  // The core re-reads the changed CRL on its own (no restart): a fresh handshake is refused.
  CHECK(waitUntil([&] { return refused(probe(core.port(), clientTls(ca.clientFiles(&lost)))); },
                  std::chrono::seconds(15)));
  // Resuming the session made before the revocation does not get around it.
  CHECK(refused(probe(core.port(), lostTls)));
  // The other till is not affected.
  auto keptTls = clientTls(ca.clientFiles(&kept));
  auto stillIn = probe(core.port(), keptTls);
  REQUIRE(stillIn.ok());
  CHECK(*stillIn == 200);
  CHECK(waitUntil([&] {
    const std::string log = readFile(dir.file("core.log"));
    return log.find("CN=S042/T02") != std::string::npos &&
           log.find("certificate revoked") != std::string::npos;
  }));

  // After a restart the CRL is read at startup: still refused.
  core.stop();
  core.start();
  CHECK(refused(probe(core.port(), clientTls(ca.clientFiles(&lost)))));
  CHECK(probe(core.port(), keptTls).ok());
}

TEST_CASE("TLS: the agent reconnects to a restarted core and resumes TLS sessions",
          "[integration]") {
  const std::string engine = GENERATE(as<std::string>{}, "event", "poco");
  INFO("http.engine = " << engine);
  TempDir dir("loyalty-tls");
  TestCa ca(dir);
  TestCa::Terminal till = ca.issueTerminal("S042", "T01");
  CoreDaemon core(dir, ca.coreConfig() + engineLine(engine));
  core.start();
  AgentDaemon agentDaemon(dir, "agent", core.port());
  agentDaemon.setExtraConfig(ca.agentConfig(till));
  agentDaemon.start();
  auto pos = agentDaemon.client();
  const std::string card = protocol::cardForCustomerNumber(31337);

  auto first = pos.commit(sale("T01", "000001", card, 1000));
  REQUIRE(first.ok());
  CHECK(first->status == protocol::kStatusCommitted);

  core.stop();
  auto second = pos.commit(sale("T01", "000002", card, 2000));
  REQUIRE(second.ok());
  CHECK(second->status == protocol::kStatusQueued);
  CHECK(agentDaemon.outboxPending() == 1);

  core.start();  // same port, new process: new TLS session keys
  REQUIRE(waitUntil([&] { return agentDaemon.outboxPending() == 0; }));
  // The till's own connection was cut by the restart; it reconnects and resumes the session the
  // agent's sender made with the new core.
  auto third = pos.commit(sale("T01", "000003", card, 500));
  REQUIRE(third.ok());
  CHECK(third->status == protocol::kStatusCommitted);

  DbInspector db(core.databasePath());
  CHECK(db.scalar("SELECT COUNT(*) FROM sales") == 3);
  db.checkBalances({{card, 20 + 40 + 10}});

  agentDaemon.stop();
  const std::string log = readFile(agentDaemon.logFile());
  std::smatch match;
  REQUIRE(std::regex_search(log, match,
                            std::regex("TLS to the core: ([0-9]+) connections, ([0-9]+) resumed")));
  INFO(match[0].str());
  CHECK(std::stoll(match[1].str()) >= 3);  // before and after the restart
  CHECK(std::stoll(match[2].str()) >= 1);
  if (engine == "event") {
    // The core's own count, logged at its stop: it resumed the agent's sessions too.
    core.stop();
    const std::string coreLog = readFile(dir.file("core.log"));
    const std::regex line("TLS: ([0-9]+) handshakes, ([0-9]+) resumed");
    std::smatch counts;  // the last one: the restarted core's
    for (auto it = std::sregex_iterator(coreLog.begin(), coreLog.end(), line);
         it != std::sregex_iterator(); ++it) {
      counts = *it;
    }
    REQUIRE(counts.size() == 3);
    INFO(counts[0].str());
    CHECK(std::stoll(counts[1].str()) >= 2);
    CHECK(std::stoll(counts[2].str()) >= 1);
  }
}

TEST_CASE("TLS: a TLS configuration that cannot work stops either daemon with exit code 78",
          "[integration]") {
  TempDir dir("loyalty-tls");
  TestCa ca(dir);
  TestCa other(dir, "other-ca");
  TestCa::Terminal till = ca.issueTerminal("S042", "T01");
  TestCa::Terminal stranger = other.issueTerminal("S042", "T01");
  const std::string core = coreBinary();
  const std::string agentBin = agentBinary();

  SECTION("core: certificate without its key") {
    CHECK(exitStatusWith(dir, core, "c1",
                         coreBase(dir, "c1") +
                             "loyalty.core.tls.certificate = " + ca.serverCertificate() +
                             "\nloyalty.core.tls.caCertificate = " + ca.caCertificate() + "\n") ==
          kExitConfig);
  }
  SECTION("core: a CRL signed by another CA") {
    CHECK(exitStatusWith(dir, core, "c2",
                         coreBase(dir, "c2") + ca.coreConfig(false) +
                             "loyalty.core.tls.crl = " + other.crl() + "\n") == kExitConfig);
  }
  SECTION("core: a terminal certificate as the server certificate") {
    CHECK(exitStatusWith(dir, core, "c3",
                         coreBase(dir, "c3") +
                             "loyalty.core.tls.certificate = " + till.certificate +
                             "\nloyalty.core.tls.privateKey = " + till.privateKey +
                             "\nloyalty.core.tls.caCertificate = " + ca.caCertificate() + "\n") ==
          kExitConfig);
  }
  SECTION("core: a CRL without a certificate") {
    CHECK(exitStatusWith(dir, core, "c4",
                         coreBase(dir, "c4") + "loyalty.core.tls.crl = " + ca.crl() + "\n") ==
          kExitConfig);
  }
  SECTION("agent: two of the three TLS keys") {
    CHECK(exitStatusWith(dir, agentBin, "a1",
                         agentBase(dir, "a1") +
                             "loyalty.agent.core.tls.caCertificate = " + ca.caCertificate() +
                             "\nloyalty.agent.core.tls.certificate = " + till.certificate + "\n") ==
          kExitConfig);
  }
  SECTION("agent: a terminal certificate of another CA") {
    CHECK(exitStatusWith(dir, agentBin, "a2",
                         agentBase(dir, "a2") +
                             "loyalty.agent.core.tls.caCertificate = " + ca.caCertificate() +
                             "\nloyalty.agent.core.tls.certificate = " + stranger.certificate +
                             "\nloyalty.agent.core.tls.privateKey = " + stranger.privateKey +
                             "\n") == kExitConfig);
  }
  SECTION("agent: a key that does not belong to the certificate") {
    CHECK(exitStatusWith(dir, agentBin, "a3",
                         agentBase(dir, "a3") +
                             "loyalty.agent.core.tls.caCertificate = " + ca.caCertificate() +
                             "\nloyalty.agent.core.tls.certificate = " + till.certificate +
                             "\nloyalty.agent.core.tls.privateKey = " + ca.serverKey() + "\n") ==
          kExitConfig);
  }
}

TEST_CASE("TLS: loyaltyctl reaches a TLS core with an admin client certificate",
          "[integration]") {
  const std::string engine = GENERATE(as<std::string>{}, "event", "poco");
  INFO("http.engine = " << engine);
  TempDir dir("loyalty-tls-ctl");
  TestCa ca(dir);
  const TestCa::Terminal admin = ca.issueTerminal("HQ", "admin");
  CoreDaemon core(dir, ca.coreConfig() + engineLine(engine));
  core.start();
  // Log in over TLS with the same certificate loyaltyctl will present.
  agent::ClientOptions options{"127.0.0.1", core.port(), 5000};
  options.tls = clientTls(ca.clientFiles(&admin));
  agent::Client client(options);
  auto login = client.send("POST", "/v1/admin/login",
                           std::string("{\"user\":\"") + kAdminUser + "\",\"password\":\"" +
                               kAdminPassword + "\"}");
  REQUIRE(login.ok());
  REQUIRE(login->status == 200);
  const std::string token = std::regex_replace(
      login->body, std::regex(R"re(.*"token":"([0-9a-f]+)".*)re"), "$1");
  REQUIRE(token.size() == 64);

  const std::string out = dir.file("ctl.out");
  ::setenv("LOYALTY_TLS_CA", ca.caCertificate().c_str(), 1);
  ::setenv("LOYALTY_TLS_CERT", admin.certificate.c_str(), 1);
  ::setenv("LOYALTY_TLS_KEY", admin.privateKey.c_str(), 1);
  ChildProcess ctl(loyaltyctlBinary(),
                   {"--core", "127.0.0.1:" + std::to_string(core.port()), "--token", token,
                    "campaigns", "list", "--json"},
                   out);
  const int status = ctl.wait();
  ::unsetenv("LOYALTY_TLS_CA");
  ::unsetenv("LOYALTY_TLS_CERT");
  ::unsetenv("LOYALTY_TLS_KEY");
  INFO(readFile(out));
  CHECK(status == 0);
  CHECK_THAT(readFile(out), Catch::Contains("\"campaigns\""));

  // Without the TLS variables it cannot talk to the core.
  ChildProcess plain(loyaltyctlBinary(),
                     {"--core", "127.0.0.1:" + std::to_string(core.port()), "--token", token,
                      "campaigns", "list"},
                     dir.file("plain.out"));
  CHECK(plain.wait() != 0);
}
