// Tests of the pos-agent's configuration reader (pos-agent/src/app/settings.h).
#include "app/settings.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "coupon_test_keys.h"
#include "loyalty/protocol/coupon_code.h"
#include "samples.h"
#include "support/test_support.h"

namespace loyalty::agent {
namespace {

using Config = Poco::AutoPtr<Poco::Util::MapConfiguration>;

Config emptyConfig() { return Config(new Poco::Util::MapConfiguration()); }

TEST_CASE("Settings: defaults when nothing is configured", "[agent]") {
  Config config = emptyConfig();
  base::Result<Settings> s = readSettings(*config, "/srv/agent");
  REQUIRE(s.ok());
  CHECK(s->server.host == "127.0.0.1");
  CHECK(s->server.port == 8441);
  CHECK(s->server.threads == 8);
  CHECK(s->portFile.empty());
  CHECK(s->service.coreHost == "127.0.0.1");
  CHECK(s->service.corePort == 8440);
  CHECK(s->service.budgetMs == 300);
  CHECK(s->service.deliveryTimeoutMs == 5000);
  CHECK(s->service.retryInitialMs == 50);
  CHECK(s->service.retryMaxMs == 2000);
  CHECK(s->service.deliveryConcurrency == 16);
  CHECK(s->outboxPath == "/srv/agent/pos-agent.db");
  CHECK(s->couponKeyDir.empty());
  CHECK(s->service.offersRefreshSeconds == 60);
}

TEST_CASE("Settings: the sample pos-agent.properties is valid and shows the defaults", "[agent]") {
  Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> sample(
      new Poco::Util::PropertyFileConfiguration(LOYALTY_AGENT_SAMPLE_CONFIG));
  base::Result<Settings> fromSample = readSettings(*sample, "/srv/agent");
  REQUIRE(fromSample.ok());
  base::Result<Settings> defaults = readSettings(*emptyConfig(), "/srv/agent");
  REQUIRE(defaults.ok());
  CHECK(fromSample->server.host == defaults->server.host);
  CHECK(fromSample->server.port == defaults->server.port);
  CHECK(fromSample->server.threads == defaults->server.threads);
  CHECK(fromSample->portFile == defaults->portFile);
  CHECK(fromSample->service.coreHost == defaults->service.coreHost);
  CHECK(fromSample->service.corePort == defaults->service.corePort);
  CHECK(fromSample->service.budgetMs == defaults->service.budgetMs);
  CHECK(fromSample->service.deliveryTimeoutMs == defaults->service.deliveryTimeoutMs);
  CHECK(fromSample->service.retryInitialMs == defaults->service.retryInitialMs);
  CHECK(fromSample->service.retryMaxMs == defaults->service.retryMaxMs);
  CHECK(fromSample->service.deliveryConcurrency == defaults->service.deliveryConcurrency);
  CHECK(fromSample->outboxPath == defaults->outboxPath);
  CHECK(fromSample->couponKeyDir == defaults->couponKeyDir);
  CHECK(fromSample->service.offersRefreshSeconds == defaults->service.offersRefreshSeconds);
}

TEST_CASE("Settings: every key is read; relative paths start at the config directory", "[agent]") {
  Config config = emptyConfig();
  config->setString("loyalty.agent.http.host", "0.0.0.0");
  config->setString("loyalty.agent.http.port", "0");
  config->setString("loyalty.agent.http.portFile", "run/agent.port");
  config->setString("loyalty.agent.http.threads", "3");
  config->setString("loyalty.agent.core.host", "core.example");
  config->setString("loyalty.agent.core.port", "9440");
  config->setString("loyalty.agent.core.budgetMs", "150");
  config->setString("loyalty.agent.core.deliveryTimeoutMs", "7000");
  config->setString("loyalty.agent.outbox.path", "/var/lib/agent/outbox.db");
  config->setString("loyalty.agent.outbox.retryInitialMs", "20");
  config->setString("loyalty.agent.outbox.retryMaxMs", "400");
  config->setString("loyalty.agent.outbox.deliveryConcurrency", "64");
  config->setString("loyalty.agent.coupons.keyDir", "keys");
  config->setString("loyalty.agent.offers.refreshSeconds", "3600");
  config->setString("logging.loggers.root.level", "warning");  // other prefixes are not ours

  base::Result<Settings> s = readSettings(*config, "/etc/pos-agent/");
  REQUIRE(s.ok());
  CHECK(s->server.host == "0.0.0.0");
  CHECK(s->server.port == 0);
  CHECK(s->server.threads == 3);
  CHECK(s->portFile == "/etc/pos-agent/run/agent.port");
  CHECK(s->service.coreHost == "core.example");
  CHECK(s->service.corePort == 9440);
  CHECK(s->service.budgetMs == 150);
  CHECK(s->service.deliveryTimeoutMs == 7000);
  CHECK(s->outboxPath == "/var/lib/agent/outbox.db");
  CHECK(s->service.retryInitialMs == 20);
  CHECK(s->service.retryMaxMs == 400);
  CHECK(s->service.deliveryConcurrency == 64);
  CHECK(s->couponKeyDir == "/etc/pos-agent/keys");
  CHECK(s->service.offersRefreshSeconds == 3600);
}

TEST_CASE("Settings: a bad value names its key", "[agent]") {
  struct Case {
    const char* key;
    const char* value;
  };
  const Case cases[] = {
      {"loyalty.agent.http.port", "70000"},
      {"loyalty.agent.http.port", "84x1"},
      {"loyalty.agent.http.port", ""},
      {"loyalty.agent.http.threads", "0"},
      {"loyalty.agent.core.port", "0"},
      {"loyalty.agent.core.budgetMs", "-5"},
      {"loyalty.agent.core.host", ""},
      {"loyalty.agent.outbox.path", ""},
      {"loyalty.agent.outbox.retryMaxMs", "10"},  // below retryInitialMs (50)
      {"loyalty.agent.core.deliveryTimeoutMs", "1.5"},
      {"loyalty.agent.outbox.deliveryConcurrency", "0"},
      {"loyalty.agent.outbox.deliveryConcurrency", "65"},
      {"loyalty.agent.offers.refreshSeconds", "4"},
      {"loyalty.agent.offers.refreshSeconds", "3601"},
      {"loyalty.agent.offers.refreshSeconds", "soon"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.key, c.value);
    Config config = emptyConfig();
    config->setString(c.key, c.value);
    base::Result<Settings> s = readSettings(*config, "/tmp");
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == base::ErrorCode::kInvalidValue);
    CHECK(s.error().message.find(c.key) != std::string::npos);
  }
}

TEST_CASE("Settings: offers.refreshSeconds accepts its bounds; an absolute keyDir stays",
          "[agent]") {
  for (const char* seconds : {"5", "3600"}) {
    Config config = emptyConfig();
    config->setString("loyalty.agent.offers.refreshSeconds", seconds);
    config->setString("loyalty.agent.coupons.keyDir", "/var/lib/loyalty/keys");
    base::Result<Settings> s = readSettings(*config, "/etc/pos-agent");
    REQUIRE(s.ok());
    CHECK(s->service.offersRefreshSeconds == std::stoi(seconds));
    CHECK(s->couponKeyDir == "/var/lib/loyalty/keys");
  }
}

TEST_CASE("Settings: coupon keys load from coupons.keyDir; a bad directory names the key",
          "[agent]") {
  testing::TempDir dir;
  SECTION("not configured: no verifier") {
    base::Result<std::shared_ptr<const protocol::CouponVerifier>> none = loadCouponKeys("");
    REQUIRE(none.ok());
    CHECK(*none == nullptr);
  }
  SECTION("two keys") {
    test::writePublicKey(test::makeCouponKey(1, 1), dir.path());
    test::writePublicKey(test::makeCouponKey(2, 2), dir.path());
    base::Result<std::shared_ptr<const protocol::CouponVerifier>> keys = loadCouponKeys(dir.path());
    REQUIRE(keys.ok());
    REQUIRE(*keys != nullptr);
    CHECK((*keys)->keyCount() == 2);
  }
  std::string bad;
  SECTION("missing directory") { bad = dir.file("missing"); }
  SECTION("no key in it") { bad = dir.path(); }
  SECTION("a file that is not a public key") {
    testing::writeFile(dir.file("coupon-key-4.pub.pem"), "not a key\n");
    bad = dir.path();
  }
  if (!bad.empty()) {
    base::Result<std::shared_ptr<const protocol::CouponVerifier>> keys = loadCouponKeys(bad);
    REQUIRE_FALSE(keys.ok());
    CHECK(keys.error().code == base::ErrorCode::kInvalidValue);
    CHECK(keys.error().message.find("loyalty.agent.coupons.keyDir") != std::string::npos);
  }
}

TEST_CASE("Settings: an unknown key under loyalty.agent is refused", "[agent]") {
  Config config = emptyConfig();
  config->setString("loyalty.agent.http.prot", "8441");
  base::Result<Settings> s = readSettings(*config, "/tmp");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message.find("loyalty.agent.http.prot") != std::string::npos);
}

TEST_CASE("Settings: the port file is written whole", "[agent]") {
  testing::TempDir dir;
  std::string path = dir.file("agent.port");
  REQUIRE(writeFileAtomically(path, "8441\n").ok());
  REQUIRE(writeFileAtomically(path, "12345\n").ok());  // replaces
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  CHECK(content.str() == "12345\n");

  CHECK_FALSE(writeFileAtomically(dir.file("missing/agent.port"), "1\n").ok());
}

}  // namespace
}  // namespace loyalty::agent
