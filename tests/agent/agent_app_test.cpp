// Tests of the pos-agent daemon as a process (pos-agent/src/app/agent_app.h): configuration,
// port file, clean stop on a signal, an outbox that survives SIGKILL, and offline coupons checked
// with the configured keys.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "coupon_test_keys.h"
#include "fake_core.h"
#include "loyalty/agent/client.h"
#include "loyalty/protocol/codec.h"
#include "samples.h"
#include "support/test_support.h"

namespace loyalty::agent {
namespace {

using test::FakeCore;
using testing::ChildProcess;
using testing::readFile;
using testing::TempDir;
using testing::waitUntil;

constexpr int kExitConfig = 78;  // Poco::Util::Application::EXIT_CONFIG

// Writes a configuration for an agent in dir that talks to corePort, with relative paths only
// (the test runs in another directory, so they must resolve against the file's directory).
std::string writeConfig(const TempDir& dir, uint16_t corePort, const std::string& extra = "") {
  std::string path = dir.file("pos-agent.properties");
  testing::writeFile(path,
                     "loyalty.agent.http.port = 0\n"
                     "loyalty.agent.http.portFile = agent.port\n"
                     "loyalty.agent.http.threads = 2\n"
                     "loyalty.agent.core.port = " +
                         std::to_string(corePort) +
                         "\n"
                         "loyalty.agent.core.budgetMs = 300\n"
                         "loyalty.agent.core.deliveryTimeoutMs = 1000\n"
                         "loyalty.agent.outbox.path = outbox.db\n"
                         "loyalty.agent.outbox.retryInitialMs = 10\n"
                         "loyalty.agent.outbox.retryMaxMs = 100\n" +
                         extra);
  return path;
}

ChildProcess startAgent(const TempDir& dir, const std::string& config) {
  return ChildProcess(testing::agentBinary(), {"--config=" + config}, dir.file("agent.log"));
}

// The port the agent wrote to its port file (0 when it did not within the deadline).
uint16_t agentPort(const TempDir& dir) { return testing::waitForPortFile(dir.file("agent.port")); }

Client clientAt(uint16_t port) { return Client(test::localClient(port, 5000)); }

TEST_CASE("pos-agent: serves on the port of its port file and stops cleanly on a signal",
          "[agent][integration]") {
  TempDir dir{"pos-agent-test"};
  FakeCore core;
  ChildProcess agent = startAgent(dir, writeConfig(dir, core.port()));
  uint16_t port = agentPort(dir);
  INFO(readFile(dir.file("agent.log")));
  REQUIRE(port != 0);
  Client client = clientAt(port);

  base::Result<protocol::CommitResponse> commit = client.commit(test::sampleCommit("1"));
  REQUIRE(commit.ok());
  CHECK(commit->status == protocol::kStatusCommitted);
  base::Result<protocol::AgentStatus> status = client.agentStatus();
  REQUIRE(status.ok());
  CHECK(status->coreReachable);

  ::kill(agent.pid(), SIGTERM);
  CHECK(agent.wait() == 0);
  CHECK_FALSE(std::filesystem::exists(dir.file("agent.port")));
  CHECK(std::filesystem::exists(dir.file("outbox.db")));  // beside the config file
  std::string log = readFile(dir.file("agent.log"));
  CHECK(log.find("pos-agent ready") != std::string::npos);
  CHECK(log.find(test::sampleCard()) == std::string::npos);  // never a card number
}

TEST_CASE("pos-agent: a commit queued before SIGKILL is delivered after a restart",
          "[agent][integration]") {
  TempDir dir{"pos-agent-test"};
  FakeCore core;
  std::string config = writeConfig(dir, core.port());
  core.stop();
  std::string body = protocol::encode(test::sampleCommit("42"));
  {
    ChildProcess agent = startAgent(dir, config);
    uint16_t port = agentPort(dir);
    INFO(readFile(dir.file("agent.log")));
    REQUIRE(port != 0);
    Client client = clientAt(port);
    base::Result<Client::RawResponse> queued = client.send("POST", "/v1/commit", body);
    REQUIRE(queued.ok());
    REQUIRE(queued->status == 200);
    base::Result<protocol::CommitResponse> answer = protocol::decodeCommitResponse(queued->body);
    REQUIRE(answer.ok());
    CHECK(answer->status == protocol::kStatusQueued);
    ::kill(agent.pid(), SIGKILL);
    CHECK(agent.wait() == 128 + SIGKILL);
  }
  std::filesystem::remove(dir.file("agent.port"));  // left behind by the killed agent

  core.restart();
  ChildProcess agent = startAgent(dir, config);
  uint16_t port = agentPort(dir);
  INFO(readFile(dir.file("agent.log")));
  REQUIRE(port != 0);
  Client client = clientAt(port);
  bool delivered = waitUntil([&] {
    base::Result<protocol::AgentStatus> status = client.agentStatus();
    return status.ok() && status->outboxPending == 0 && status->delivered == 1;
  });
  REQUIRE(delivered);
  CHECK(core.accepted("/v1/commit") == std::vector<std::string>{body});
  ::kill(agent.pid(), SIGTERM);
  CHECK(agent.wait() == 0);
}

TEST_CASE("pos-agent: accepts a signed coupon offline with the keys of coupons.keyDir",
          "[agent][integration]") {
  TempDir dir{"pos-agent-test"};
  FakeCore core;
  test::TestCouponKey key = test::makeCouponKey(11, 5);
  std::filesystem::create_directory(dir.file("keys"));
  test::writePublicKey(key, dir.file("keys"));
  protocol::Offer offer;
  offer.campaign = 42;
  offer.name = "1.00 off";
  offer.reward.kind = offers::RewardKind::kAmountOff;
  offer.reward.target = offers::TargetKind::kBasket;
  offer.reward.amount = base::Money(100);
  protocol::OfferList list;
  list.offers = {offer};
  core.setOffers(list);

  ChildProcess agent =
      startAgent(dir, writeConfig(dir, core.port(), "loyalty.agent.coupons.keyDir = keys\n"));
  uint16_t port = agentPort(dir);
  INFO(readFile(dir.file("agent.log")));
  REQUIRE(port != 0);
  // The offers are fetched in the background at start.
  REQUIRE(waitUntil([&] { return !core.accepted("/v1/offers").empty(); }));
  core.stop();

  protocol::CouponClaims claims;
  claims.serial = 1;
  claims.card = test::sampleCard();
  claims.campaign = 42;
  claims.expires = "2024-12-31";
  std::string code = test::signCoupon(key, claims);
  Client client = clientAt(port);
  base::Result<protocol::PriceResponse> price = client.price(test::samplePrice({code}));
  // The answer may race the storing of the fetched list, so ask until it is there.
  REQUIRE(waitUntil([&] {
    price = client.price(test::samplePrice({code}));
    return price.ok() && price->coupons.size() == 1 && price->coupons[0].accepted;
  }));
  CHECK(price->offline);
  CHECK(price->total == base::Money(test::kSampleBasketTotal - 100));
  ::kill(agent.pid(), SIGTERM);
  CHECK(agent.wait() == 0);
}

TEST_CASE("pos-agent: a bad configuration exits with EXIT_CONFIG", "[agent][integration]") {
  TempDir dir{"pos-agent-test"};
  std::string config;
  std::string expectedInLog;
  SECTION("bad value") {
    config = writeConfig(dir, 8440, "loyalty.agent.core.budgetMs = soon\n");
    expectedInLog = "loyalty.agent.core.budgetMs";
  }
  SECTION("unknown key") {
    config = writeConfig(dir, 8440, "loyalty.agent.core.budget = 300\n");
    expectedInLog = "loyalty.agent.core.budget:";
  }
  SECTION("coupon key directory that cannot be loaded") {
    config = writeConfig(dir, 8440, "loyalty.agent.coupons.keyDir = no-such-keys\n");
    expectedInLog = "loyalty.agent.coupons.keyDir";
  }
  SECTION("refresh period out of range") {
    config = writeConfig(dir, 8440, "loyalty.agent.offers.refreshSeconds = 1\n");
    expectedInLog = "loyalty.agent.offers.refreshSeconds";
  }
  SECTION("missing file") {
    config = dir.file("no-such.properties");
    expectedInLog = "no-such.properties";
  }
  ChildProcess agent = startAgent(dir, config);
  CHECK(agent.wait() == kExitConfig);
  std::string log = readFile(dir.file("agent.log"));
  CHECK(log.find(expectedInLog) != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("agent.port")));
}

}  // namespace
}  // namespace loyalty::agent

TEST_CASE("pos-agent process: an outbox that cannot be opened exits 73 (EX_CANTCREAT)",
          "[agent][integration]") {
  loyalty::testing::TempDir dir("loyalty-agent-outbox");
  loyalty::testing::writeFile(dir.file("agent.properties"),
                              "loyalty.agent.http.port = 0\n"
                              "loyalty.agent.outbox.path = no-such-dir/outbox.db\n");
  loyalty::testing::ChildProcess agent(loyalty::testing::agentBinary(),
                                       {"--config=" + dir.file("agent.properties")},
                                       dir.file("agent.out"));
  CHECK(agent.wait() == 73);
}
