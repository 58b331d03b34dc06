// Acceptance of the coupon flow with the real daemons, real Ed25519 keys and SQLite files:
//   - 32 concurrent redemptions of one coupon from different terminals: exactly one succeeds;
//   - a flipped bit, another card, an expired code and an unknown key are refused with distinct
//     reasons by the core and by an offline agent;
//   - two agents cut off from the core both accept the same coupon; after reconnection the core
//     keeps both sales, records the double use, and loyaltyctl lists it;
//   - a partial refund of a basket with a coupon and bonus points reverses both pro rata, ledger
//     sums hold, and replaying the refund changes nothing.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "integration/daemons.h"
#include "loyalty/protocol/card.h"
#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/coupon_code.h"
#include "loyalty/protocol/json.h"

using namespace loyalty;
using namespace loyalty::testing;

namespace {

const std::string kCard = protocol::cardForCustomerNumber(4242);
const std::string kOtherCard = protocol::cardForCustomerNumber(4243);

std::string today() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &utc);
  return buf;
}

protocol::TransactionKey key(const std::string& terminal, const std::string& txn) {
  return protocol::TransactionKey{"S001", terminal, today(), txn};
}

protocol::json::Value parsed(const std::string& body) {
  auto v = protocol::json::parse(body);
  REQUIRE(v.ok());
  return std::move(v).value();
}

// Creates an active campaign from its JSON and returns its id.
int64_t createCampaign(agent::Client& admin, const std::string& json) {
  auto r = admin.send("POST", "/v1/admin/campaigns", json);
  REQUIRE(r.ok());
  INFO(r->body);
  REQUIRE((r->status == 200 || r->status == 201));
  const protocol::json::Value v = parsed(r->body);
  REQUIRE(v.find("id") != nullptr);
  return v.find("id")->asInt();
}

std::vector<std::string> issue(agent::Client& admin, int64_t campaign,
                               const std::vector<std::string>& cards) {
  std::string body = "{\"cards\":[";
  for (size_t i = 0; i < cards.size(); ++i) {
    body += (i > 0 ? ",\"" : "\"") + cards[i] + "\"";
  }
  body += "]}";
  auto r = admin.send("POST", "/v1/admin/campaigns/" + std::to_string(campaign) + "/issue", body);
  REQUIRE(r.ok());
  INFO(r->body);
  REQUIRE(r->status == 200);
  std::vector<std::string> codes;
  const protocol::json::Value answer = parsed(r->body);
  for (const auto& c : answer.find("coupons")->items()) {
    codes.push_back(c.find("code")->asString());
  }
  REQUIRE(codes.size() == cards.size());
  return codes;
}

protocol::PriceRequest priceWith(const protocol::TransactionKey& k,
                                 std::vector<std::string> coupons,
                                 const std::string& card = kCard) {
  protocol::PriceRequest p;
  p.key = k;
  p.card = card;
  p.lines = {{1, "P1", 2, base::Money(150)}, {2, "P2", 1, base::Money(200)}};
  p.coupons = std::move(coupons);
  return p;
}

protocol::CommitRequest commitWith(const protocol::TransactionKey& k,
                                   std::vector<std::string> coupons) {
  protocol::CommitRequest c;
  c.key = k;
  c.card = kCard;
  c.lines = {{1, "P1", 2, base::Money(150)}, {2, "P2", 1, base::Money(200)}};
  c.coupons = std::move(coupons);
  return c;
}

std::vector<std::string> reasons(const protocol::PriceResponse& r) {
  std::vector<std::string> out;
  for (const auto& d : r.coupons) {
    out.push_back(d.accepted ? "accepted" : d.reason);
  }
  return out;
}

std::string flipOneBit(std::string code) {
  // One bit of the signature: the lowest of the 5 bits a character in the middle of the
  // signature carries (Crockford base32, so the result is still a well-formed code).
  static const std::string kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  char& c = code[code.size() - 20];
  c = kAlphabet[kAlphabet.find(c) ^ 1U];
  return code;
}

}  // namespace

TEST_CASE("Coupons: 32 concurrent redemptions of one coupon, exactly one succeeds",
          "[integration][coupons]") {
  TempDir dir("loyalty-coupon-race");
  CoreDaemon core(dir);
  core.enableCoupons();
  core.start();
  auto admin = core.adminClient();
  REQUIRE(admin.importCatalogue(testCatalogueCsv()).ok());
  const int64_t campaign = createCampaign(
      admin, R"({"name":"P1 0.50 off","status":"active",)"
             R"("reward":{"kind":"amount_off","target":"sku","value":"P1","amount":50}})");
  const std::string code = issue(admin, campaign, {kCard}).front();

  std::atomic<int> committed{0};
  std::atomic<int> unavailable{0};
  std::vector<std::thread> tills;
  for (int t = 0; t < 32; ++t) {
    tills.emplace_back([&, t] {
      auto till = core.client(20000);
      auto r = till.send("POST", "/v1/commit",
                         protocol::encode(commitWith(key("T" + std::to_string(t), "1"), {code})));
      if (r.ok() && r->status == 200) {
        ++committed;
      } else if (r.ok() && r->status == 409 &&
                 r->body.find("coupon_unavailable") != std::string::npos) {
        ++unavailable;
      }
    });
  }
  for (auto& t : tills) {
    t.join();
  }
  CHECK(committed == 1);
  CHECK(unavailable == 31);
  DbInspector db(core.databasePath());
  CHECK(db.scalar("SELECT COUNT(*) FROM sales") == 1);
  CHECK(db.scalar("SELECT COUNT(*) FROM redemptions") == 1);
  CHECK(db.scalar("SELECT redeemed_count FROM campaigns") == 1);
}

TEST_CASE("Coupons: bad codes are refused with distinct reasons by the core and offline agent",
          "[integration][coupons]") {
  TempDir dir("loyalty-coupon-reasons");
  CoreDaemon core(dir);
  const std::string keys = core.enableCoupons();
  core.start();
  auto admin = core.adminClient();
  REQUIRE(admin.importCatalogue(testCatalogueCsv()).ok());
  const int64_t campaign = createCampaign(
      admin, R"({"name":"P1 0.50 off","status":"active",)"
             R"("reward":{"kind":"amount_off","target":"sku","value":"P1","amount":50}})");
  const std::string good = issue(admin, campaign, {kCard}).front();
  const std::string otherCard = issue(admin, campaign, {kOtherCard}).front();
  // An expired code signed with the real key, and a good-looking one from an unknown key.
  auto signer = protocol::loadCouponSigner(keys, 1);
  REQUIRE(signer.ok());
  protocol::CouponClaims claims;
  claims.serial = 1;
  claims.card = kCard;
  claims.campaign = static_cast<uint32_t>(campaign);
  claims.expires = "2020-01-31";
  const std::string expired = signer->sign(claims).value();
  const std::string strangers = dir.file("stranger-keys");
  ::mkdir(strangers.c_str(), 0700);
  generateCouponKeys(strangers, 7);
  auto stranger = protocol::loadCouponSigner(strangers, 7);
  REQUIRE(stranger.ok());
  claims.expires = "2099-12-31";
  const std::string unknownKey = stranger->sign(claims).value();
  const std::string flipped = flipOneBit(good);

  const std::vector<std::string> presented{flipped, otherCard, expired, unknownKey, good};
  auto atCore = core.client().price(priceWith(key("T1", "1"), presented));
  REQUIRE(atCore.ok());
  const std::vector<std::string> expected{"coupon_bad_signature", "coupon_wrong_card",
                                          "coupon_expired", "coupon_unknown_key", "accepted"};
  CHECK(reasons(*atCore) == expected);

  // An agent that has the public keys and the offers, then loses the core.
  AgentDaemon agent(dir, "agent", core.port(), 300, keys);
  agent.start();
  REQUIRE(waitUntil([&] { return agent.offersCached() > 0; }));
  core.kill();
  auto offline = agent.client().price(priceWith(key("T2", "1"), presented));
  REQUIRE(offline.ok());
  CHECK(offline->offline);
  CHECK(reasons(*offline) == expected);
}

TEST_CASE("Coupons: a coupon used at two offline tills is kept on both sales and reported",
          "[integration][coupons][slow]") {
  TempDir dir("loyalty-coupon-offline");
  CoreDaemon core(dir);
  const std::string keys = core.enableCoupons();
  core.start();
  auto admin = core.adminClient();
  REQUIRE(admin.importCatalogue(testCatalogueCsv()).ok());
  const int64_t campaign = createCampaign(
      admin, R"({"name":"P1 0.50 off","status":"active",)"
             R"("reward":{"kind":"amount_off","target":"sku","value":"P1","amount":50}})");
  const std::string code = issue(admin, campaign, {kCard}).front();

  AgentDaemon lane1(dir, "lane1", core.port(), 300, keys);
  AgentDaemon lane2(dir, "lane2", core.port(), 300, keys);
  lane1.start();
  lane2.start();
  REQUIRE(waitUntil([&] { return lane1.offersCached() > 0 && lane2.offersCached() > 0; }));
  core.kill();

  for (AgentDaemon* lane : {&lane1, &lane2}) {
    const std::string terminal = lane == &lane1 ? "L1" : "L2";
    auto till = lane->client();
    auto priced = till.price(priceWith(key(terminal, "1"), {code}));
    REQUIRE(priced.ok());
    CHECK(priced->offline);
    REQUIRE(priced->coupons.size() == 1);
    CHECK(priced->coupons[0].accepted);
    CHECK(priced->total == base::Money(450));
    auto committed = till.commit(commitWith(key(terminal, "1"), {code}));
    REQUIRE(committed.ok());
    CHECK(committed->status == protocol::kStatusQueued);
  }

  core.start();
  REQUIRE(waitUntil([&] { return lane1.outboxPending() == 0 && lane2.outboxPending() == 0; },
                    std::chrono::seconds(30)));
  DbInspector db(core.databasePath());
  CHECK(db.scalar("SELECT COUNT(*) FROM sales") == 2);
  CHECK(db.scalar("SELECT COUNT(*) FROM sales WHERE total = 450") == 2);
  CHECK(db.scalar("SELECT COUNT(*) FROM redemptions") == 2);
  CHECK(db.scalar("SELECT COUNT(*) FROM redemptions WHERE conflict = 'double_use'") == 1);

  auto conflicts = core.adminClient().send("GET", "/v1/admin/coupons/conflicts", "");
  REQUIRE(conflicts.ok());
  REQUIRE(conflicts->status == 200);
  const auto listed = parsed(conflicts->body).find("conflicts")->items();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].find("conflict")->asString() == "double_use");

  // loyaltyctl lists it too, for a person and for a script.
  const std::string out = dir.file("ctl.out");
  ChildProcess ctl(loyaltyctlBinary(),
                   {"--core", "127.0.0.1:" + std::to_string(core.port()), "--token",
                    core.adminToken(), "coupons", "conflicts", "--json"},
                   out);
  CHECK(ctl.wait() == 0);
  const std::string printed = readFile(out);
  CHECK(printed.find("double_use") != std::string::npos);
}

TEST_CASE("Coupons: a partial refund reverses discount and bonus points pro rata",
          "[integration][coupons]") {
  TempDir dir("loyalty-coupon-refund");
  CoreDaemon core(dir);
  core.enableCoupons();
  core.start();
  auto admin = core.adminClient();
  REQUIRE(admin.importCatalogue(testCatalogueCsv()).ok());
  const int64_t off = createCampaign(
      admin, R"({"name":"P1 1.00 off","status":"active",)"
             R"("reward":{"kind":"amount_off","target":"sku","value":"P1","amount":100}})");
  const int64_t bonus = createCampaign(
      admin, R"({"name":"40 bonus","status":"active",)"
             R"("reward":{"kind":"bonus_points","target":"category","value":"grocery","points":40}})");
  const std::string offCode = issue(admin, off, {kCard}).front();
  const std::string bonusCode = issue(admin, bonus, {kCard}).front();

  auto till = core.client();
  protocol::CommitRequest sale;
  sale.key = key("T1", "sale");
  sale.card = kCard;
  sale.lines = {{1, "P1", 4, base::Money(250)}, {2, "P2", 1, base::Money(200)}};
  sale.coupons = {offCode, bonusCode};
  auto sold = till.commit(sale);
  REQUIRE(sold.ok());
  CHECK(sold->total == base::Money(1100));
  CHECK(sold->pointsEarned == base::Points(51));

  protocol::RefundRequest refund;
  refund.key = key("T1", "refund");
  refund.original = sale.key;
  refund.lines = {{1, 1}};
  auto refunded = till.refund(refund);
  REQUIRE(refunded.ok());
  CHECK(refunded->amountRefunded == base::Money(225));
  CHECK(refunded->pointsReversed == base::Points(12));
  CHECK(refunded->pointsBalance == base::Points(39));

  DbInspector db(core.databasePath());
  const std::string before = db.snapshot();
  auto replay = till.refund(refund);
  REQUIRE(replay.ok());
  CHECK(replay->pointsReversed == base::Points(12));
  CHECK(db.snapshot() == before);
  db.checkBalances({{kCard, 39}});
}
