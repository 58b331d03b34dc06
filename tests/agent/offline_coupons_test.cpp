// Tests of the pos-agent's offline coupons (pos-agent/src/server/offline_coupons.h and their use
// by AgentService): signed codes checked without the core, the local redemption log, the offers
// cache, offline_coupons on commits, and void. Keys are generated at test time.
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "app/settings.h"
#include "coupon_test_keys.h"
#include "fake_core.h"
#include "loyalty/offers/reward.h"
#include "loyalty/protocol/card.h"
#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/coupon_code.h"
#include "samples.h"
#include "server/agent_service.h"
#include "support/test_support.h"

namespace loyalty::agent {
namespace {

using base::Money;
using base::Points;
using protocol::encode;
using test::FakeCore;
using test::TestCouponKey;
using testing::TempDir;
using testing::waitUntil;

constexpr uint16_t kKeyId = 3;
// The sample basket is line 1: 2 x 2.50 of SKU-1, line 2: 1 x 5.00 of SKU-2 (10.00 in all).
constexpr uint32_t kSkuCampaign = 42;         // 1.00 off SKU-2, in stores S001 and S002
constexpr uint32_t kBasketCampaign = 43;      // 10% off the basket
constexpr uint32_t kCategoryCampaign = 44;    // 20% off dairy
constexpr uint32_t kOtherStoreCampaign = 45;  // 0.50 off the basket, only in S999
constexpr uint32_t kMinSpendCampaign = 46;    // 2.00 off a basket of at least 50.00
constexpr uint32_t kBonusCampaign = 47;       // 50 bonus points for SKU-1
constexpr uint32_t kUnknownCampaign = 99;     // not offered
constexpr size_t kOfferCount = 6;

protocol::Offer offer(uint32_t campaign, offers::Reward reward,
                      std::vector<std::string> stores = {}) {
  protocol::Offer o;
  o.campaign = campaign;
  o.name = "campaign " + std::to_string(campaign);
  o.reward = std::move(reward);
  o.stores = std::move(stores);
  return o;
}

offers::Reward amountOff(offers::TargetKind target, std::string value, int64_t amount) {
  offers::Reward r;
  r.kind = offers::RewardKind::kAmountOff;
  r.target = target;
  r.value = std::move(value);
  r.amount = Money(amount);
  return r;
}

offers::Reward percentOff(offers::TargetKind target, std::string value, int64_t percent) {
  offers::Reward r;
  r.kind = offers::RewardKind::kPercentOff;
  r.target = target;
  r.value = std::move(value);
  r.percent = percent;
  return r;
}

offers::Reward skuReward() { return amountOff(offers::TargetKind::kSku, "SKU-2", 100); }

offers::Reward basketReward() { return percentOff(offers::TargetKind::kBasket, "", 10); }

offers::Reward bonusReward() {
  offers::Reward r;
  r.kind = offers::RewardKind::kBonusPoints;
  r.target = offers::TargetKind::kSku;
  r.value = "SKU-1";
  r.points = Points(50);
  return r;
}

protocol::OfferList sampleOffers() {
  offers::Reward minSpend = amountOff(offers::TargetKind::kBasket, "", 200);
  minSpend.minSpend = Money(5000);
  protocol::OfferList list;
  list.offers = {
      offer(kSkuCampaign, skuReward(), {"S001", "S002"}),
      offer(kBasketCampaign, basketReward()),
      offer(kCategoryCampaign, percentOff(offers::TargetKind::kCategory, "dairy", 20)),
      offer(kOtherStoreCampaign, amountOff(offers::TargetKind::kBasket, "", 50), {"S999"}),
      offer(kMinSpendCampaign, minSpend),
      offer(kBonusCampaign, bonusReward()),
  };
  return list;
}

// A service wired to a fake core that offers sampleOffers(), with one coupon key in a key
// directory (loaded the way the daemon loads it), over an agent database that outlives restart().
struct Fixture {
  TempDir dir{"pos-agent-coupons"};
  FakeCore core;
  TestCouponKey key = test::makeCouponKey(7, kKeyId);
  std::shared_ptr<const protocol::CouponVerifier> verifier;
  OutboxPtr outbox;
  std::unique_ptr<AgentService> service;
  uint64_t nextSerial = 1000;

  explicit Fixture(bool withKeys = true) {
    if (withKeys) {
      std::string keyDir = dir.file("keys");
      std::filesystem::create_directory(keyDir);
      test::writePublicKey(key, keyDir);
      base::Result<std::shared_ptr<const protocol::CouponVerifier>> loaded = loadCouponKeys(keyDir);
      REQUIRE(loaded.ok());
      REQUIRE(*loaded != nullptr);
      verifier = *loaded;
    }
    core.setOffers(sampleOffers());
    open();
  }

  ~Fixture() { service->stop(); }

  void open() {
    base::Result<OutboxPtr> opened = Outbox::open(dir.file("agent.db"));
    REQUIRE(opened.ok());
    outbox = std::move(opened).value();
    AgentServiceOptions options;
    options.corePort = core.port();
    options.budgetMs = 200;
    options.deliveryTimeoutMs = 1000;
    options.retryInitialMs = 10;
    options.retryMaxMs = 100;
    service = std::make_unique<AgentService>(options, *outbox, verifier);
  }

  // A new service over a reopened database, as after the agent's process restarts.
  void restart() {
    service->stop();
    service.reset();
    outbox.reset();
    open();
  }

  void loadOffers() {
    REQUIRE(service->refreshOffers().ok());
    REQUIRE(service->offerCount() == kOfferCount);
  }

  protocol::CouponClaims claims(uint32_t campaign) {
    protocol::CouponClaims c;
    c.serial = nextSerial++;
    c.card = test::sampleCard();
    c.campaign = campaign;
    c.expires = "2024-12-31";  // the sample business date is 2024-03-15
    return c;
  }

  std::string coupon(uint32_t campaign) { return test::signCoupon(key, claims(campaign)); }

  protocol::PriceResponse price(const protocol::PriceRequest& request) {
    Reply reply = service->price(encode(request), "req-price");
    REQUIRE(reply.status == 200);
    base::Result<protocol::PriceResponse> response = protocol::decodePriceResponse(reply.body);
    REQUIRE(response.ok());
    return *response;
  }

  protocol::PriceResponse price(const std::string& txn, std::vector<std::string> codes) {
    protocol::PriceRequest request = test::samplePrice(std::move(codes));
    request.key = test::sampleKey(txn);
    return price(request);
  }

  protocol::CommitResponse commit(const protocol::CommitRequest& request) {
    Reply reply = service->commit(encode(request), "req-commit");
    REQUIRE(reply.status == 200);
    base::Result<protocol::CommitResponse> response = protocol::decodeCommitResponse(reply.body);
    REQUIRE(response.ok());
    return *response;
  }

  // The commit request of the oldest outbox item.
  protocol::CommitRequest queuedCommit() {
    base::Result<std::optional<OutboxItem>> item = outbox->oldest();
    REQUIRE(item.ok());
    REQUIRE(item->has_value());
    base::Result<protocol::CommitRequest> request = protocol::decodeCommitRequest((*item)->body);
    REQUIRE(request.ok());
    return *request;
  }

  bool pricedOffline(const std::string& txn) {
    const protocol::TransactionKey k = test::sampleKey(txn);
    base::Result<bool> marked =
        outbox->isPricedOffline(k.store + "/" + k.terminal + "/" + k.businessDate + "/" + k.txn);
    REQUIRE(marked.ok());
    return *marked;
  }
};

protocol::CommitRequest commitWith(const std::string& txn, std::vector<std::string> codes,
                                   bool offlineCoupons = false) {
  protocol::CommitRequest request = test::sampleCommit(txn);
  request.coupons = std::move(codes);
  request.offlineCoupons = offlineCoupons;
  return request;
}

protocol::CouponDecision only(const protocol::PriceResponse& response) {
  REQUIRE(response.coupons.size() == 1);
  return response.coupons.front();
}

TEST_CASE("Offline coupons: a valid code is accepted offline and its discount applied", "[agent]") {
  Fixture f;
  f.loadOffers();
  f.core.stop();
  std::string code = f.coupon(kSkuCampaign);
  protocol::PriceRequest request = test::samplePrice({code});
  request.redeemPoints = Points(50);

  protocol::PriceResponse response = f.price(request);
  CHECK(response.offline);
  CHECK(response.subtotal == Money(1000));
  REQUIRE(response.discounts.size() == 1);
  const protocol::DiscountLine& discount = response.discounts.front();
  CHECK(discount.line == 2);
  CHECK(discount.amount == Money(100));
  CHECK(discount.kind == protocol::kDiscountCoupon);
  CHECK(discount.coupon == code);
  CHECK(discount.description == offers::describe(skuReward()));
  CHECK(response.total == Money(900));

  protocol::CouponDecision decision = only(response);
  CHECK(decision.code == code);
  CHECK(decision.accepted);
  CHECK(decision.reason.empty());
  CHECK(decision.message == offers::describe(skuReward()));
  CHECK(decision.discount == Money(100));
  CHECK(decision.bonusPoints == Points(0));
  // No points tender and no points preview without the core.
  CHECK_FALSE(response.pointsRedeemed.has_value());
  CHECK_FALSE(response.pointsPreview.has_value());
  CHECK(f.pricedOffline("P1"));
  CHECK(f.outbox->pending() == 0);  // a price is never queued
}

TEST_CASE("Offline coupons: coupons of different campaigns stack on what is left of a line",
          "[agent]") {
  Fixture f;
  f.loadOffers();
  f.core.stop();
  std::string sku = f.coupon(kSkuCampaign);
  std::string basket = f.coupon(kBasketCampaign);
  std::string bonus = f.coupon(kBonusCampaign);

  protocol::PriceResponse response = f.price("P1", {sku, basket, bonus});
  REQUIRE(response.coupons.size() == 3);
  for (const protocol::CouponDecision& decision : response.coupons) {
    CAPTURE(decision.code, decision.reason);
    CHECK(decision.accepted);
  }
  // 1.00 off line 2 first; then 10% of what is open: 5.00 of line 1, 4.00 of line 2.
  CHECK(response.coupons[0].discount == Money(100));
  CHECK(response.coupons[1].discount == Money(90));
  CHECK(response.coupons[2].discount == Money(0));
  CHECK(response.coupons[2].bonusPoints == Points(50));
  REQUIRE(response.discounts.size() == 3);
  CHECK(response.discounts[0].line == 2);
  CHECK(response.discounts[0].amount == Money(100));
  CHECK(response.discounts[1].line == 1);
  CHECK(response.discounts[1].amount == Money(50));
  CHECK(response.discounts[1].coupon == basket);
  CHECK(response.discounts[2].line == 2);
  CHECK(response.discounts[2].amount == Money(40));
  CHECK(response.total == Money(1000 - 190));
}

TEST_CASE("Offline coupons: forged, foreign, expired and unknown-key codes get distinct reasons",
          "[agent]") {
  Fixture f;
  f.loadOffers();
  f.core.stop();

  std::string valid = f.coupon(kSkuCampaign);

  // One bit of the serial flipped: still well formed, but the signature no longer matches.
  std::string flipped;
  {
    std::string original = f.coupon(kBasketCampaign);
    base::Result<std::vector<uint8_t>> bytes =
        protocol::crockfordBase32Decode(std::string_view(original).substr(3));
    REQUIRE(bytes.ok());
    (*bytes)[5] ^= 0x01;
    flipped = "LC1" + protocol::crockfordBase32Encode(*bytes);
    REQUIRE(flipped != original);
    REQUIRE(flipped.size() == original.size());
  }

  protocol::CouponClaims foreign = f.claims(kBasketCampaign);
  foreign.card = protocol::cardForCustomerNumber(4343);
  std::string otherCard = test::signCoupon(f.key, foreign);

  protocol::CouponClaims old = f.claims(kBasketCampaign);
  old.expires = "2024-03-14";  // the day before the business date
  std::string expired = test::signCoupon(f.key, old);

  TestCouponKey stranger = test::makeCouponKey(8, 9);  // key id 9 is not in the key directory
  std::string unknownKey = test::signCoupon(stranger, f.claims(kBasketCampaign));

  protocol::PriceResponse response =
      f.price("P1", {flipped, otherCard, expired, unknownKey, "SAVE10", valid});
  REQUIRE(response.coupons.size() == 6);
  CHECK(response.coupons[0].reason == protocol::kCouponBadSignature);
  CHECK(response.coupons[1].reason == protocol::kCouponWrongCard);
  CHECK(response.coupons[2].reason == protocol::kCouponExpired);
  CHECK(response.coupons[2].message.find("2024-03-14") != std::string::npos);
  CHECK(response.coupons[3].reason == protocol::kCouponUnknownKey);
  CHECK(response.coupons[4].reason == protocol::kCouponMalformed);
  std::set<std::string> reasons;
  for (size_t i = 0; i < 5; ++i) {
    CAPTURE(i);
    CHECK_FALSE(response.coupons[i].accepted);
    CHECK_FALSE(response.coupons[i].message.empty());
    CHECK(response.coupons[i].discount == Money(0));
    reasons.insert(response.coupons[i].reason);
  }
  CHECK(reasons.size() == 5);
  // The refusals cost nothing; the one valid code still applies.
  CHECK(response.coupons[5].accepted);
  REQUIRE(response.discounts.size() == 1);
  CHECK(response.discounts[0].coupon == valid);
  CHECK(response.total == Money(900));
}

TEST_CASE("Offline coupons: offers the agent cannot grant offline are refused", "[agent]") {
  Fixture f;
  f.loadOffers();
  f.core.stop();
  std::string first = f.coupon(kSkuCampaign);
  std::string second = f.coupon(kSkuCampaign);  // same campaign, another serial
  std::string unknown = f.coupon(kUnknownCampaign);
  std::string otherStore = f.coupon(kOtherStoreCampaign);
  std::string category = f.coupon(kCategoryCampaign);
  std::string minSpend = f.coupon(kMinSpendCampaign);

  protocol::PriceResponse response =
      f.price("P1", {first, second, unknown, otherStore, category, minSpend});
  REQUIRE(response.coupons.size() == 6);
  CHECK(response.coupons[0].accepted);
  CHECK(response.coupons[1].reason == kCouponCapReached);
  CHECK(response.coupons[2].reason == kCouponOfflineUnknownCampaign);
  CHECK(response.coupons[3].reason == kCouponCampaignInactive);
  CHECK(response.coupons[4].reason == kCouponNotApplicable);
  CHECK(response.coupons[4].message.find("category") != std::string::npos);
  CHECK(response.coupons[5].reason == kCouponNotApplicable);
  for (size_t i = 1; i < response.coupons.size(); ++i) {
    CAPTURE(i);
    CHECK_FALSE(response.coupons[i].accepted);
    CHECK_FALSE(response.coupons[i].message.empty());
  }
  REQUIRE(response.discounts.size() == 1);
  CHECK(response.total == Money(900));

  // S002 is one of the stores of the SKU campaign, so its coupon applies there too.
  protocol::PriceRequest elsewhere = test::samplePrice({f.coupon(kSkuCampaign)});
  elsewhere.key.store = "S002";
  CHECK(only(f.price(elsewhere)).accepted);
}

TEST_CASE("Offline coupons: the same coupon twice in one basket counts once", "[agent]") {
  Fixture f;
  f.loadOffers();
  f.core.stop();
  std::string code = f.coupon(kBasketCampaign);
  protocol::PriceResponse response = f.price("P1", {code, code});
  REQUIRE(response.coupons.size() == 2);
  CHECK(response.coupons[0].accepted);
  CHECK_FALSE(response.coupons[1].accepted);
  CHECK(response.coupons[1].reason == kCouponAlreadyRedeemed);
  CHECK(response.total == Money(900));
}

TEST_CASE("Offline coupons: without offers every campaign is unknown offline", "[agent]") {
  Fixture f;
  f.core.stop();
  CHECK(f.service->offerCount() == 0);
  protocol::CouponDecision decision = only(f.price("P1", {f.coupon(kSkuCampaign)}));
  CHECK_FALSE(decision.accepted);
  CHECK(decision.reason == kCouponOfflineUnknownCampaign);
}

TEST_CASE("Offline coupons: without coupon keys every code is refused as unknown key", "[agent]") {
  Fixture f(/*withKeys=*/false);
  f.loadOffers();
  f.core.stop();
  protocol::PriceResponse response = f.price("P1", {f.coupon(kSkuCampaign), "SAVE10"});
  REQUIRE(response.coupons.size() == 2);
  for (const protocol::CouponDecision& decision : response.coupons) {
    CHECK_FALSE(decision.accepted);
    CHECK(decision.reason == protocol::kCouponUnknownKey);
    CHECK_FALSE(decision.message.empty());
  }
  CHECK(response.discounts.empty());
  CHECK(response.total == Money(1000));
}

TEST_CASE("Offline coupons: a coupon used offline is refused the second time, after a restart too",
          "[agent]") {
  Fixture f;
  f.loadOffers();
  f.core.stop();
  std::string code = f.coupon(kSkuCampaign);

  CHECK(only(f.price("T1", {code})).accepted);
  protocol::CommitResponse queued = f.commit(commitWith("T1", {code}));
  CHECK(queued.status == protocol::kStatusQueued);
  REQUIRE(queued.discounts.size() == 1);
  CHECK(queued.discounts[0].coupon == code);
  CHECK(queued.discounts[0].amount == Money(100));
  CHECK(queued.total == Money(900));
  CHECK_FALSE(queued.pointsRedeemed.has_value());

  protocol::CouponDecision again = only(f.price("T2", {code}));
  CHECK_FALSE(again.accepted);
  CHECK(again.reason == kCouponAlreadyRedeemed);
  CHECK_FALSE(again.message.empty());
  // Its own transaction (a price repeated before a retried commit) still has it.
  CHECK(only(f.price("T1", {code})).accepted);

  f.restart();
  protocol::CouponDecision afterRestart = only(f.price("T3", {code}));
  CHECK_FALSE(afterRestart.accepted);
  CHECK(afterRestart.reason == kCouponAlreadyRedeemed);
  // A second commit with the coupon is still queued (the sale is never refused), without the
  // discount; the core reports the double use when it reconciles.
  protocol::CommitResponse second = f.commit(commitWith("T3", {code}));
  CHECK(second.status == protocol::kStatusQueued);
  CHECK(second.discounts.empty());
  CHECK(second.total == Money(1000));
  CHECK(f.outbox->pending() == 2);
}

TEST_CASE("Offline coupons: the offers cache survives a restart with the core down", "[agent]") {
  Fixture f;
  f.loadOffers();
  f.core.stop();
  f.restart();
  CHECK(f.service->offerCount() == kOfferCount);
  // A failed refresh keeps the last good list.
  CHECK_FALSE(f.service->refreshOffers().ok());
  CHECK(f.service->offerCount() == kOfferCount);

  protocol::CouponDecision decision = only(f.price("P1", {f.coupon(kSkuCampaign)}));
  CHECK(decision.accepted);
  CHECK(decision.discount == Money(100));
}

TEST_CASE("Offline coupons: a bad offers answer keeps the last good list", "[agent]") {
  Fixture f;
  f.loadOffers();
  f.core.setRaw(200, "application/json", "{\"offers\": 5}");
  CHECK_FALSE(f.service->refreshOffers().ok());
  CHECK(f.service->offerCount() == kOfferCount);
  f.core.setRaw(500, "application/json", "{}");
  CHECK_FALSE(f.service->refreshOffers().ok());
  CHECK(f.service->offerCount() == kOfferCount);

  // A good answer replaces the list, also in the database.
  f.core.setOk();
  protocol::OfferList smaller;
  smaller.offers = {offer(kBasketCampaign, basketReward())};
  f.core.setOffers(smaller);
  REQUIRE(f.service->refreshOffers().ok());
  CHECK(f.service->offerCount() == 1);
  f.core.stop();
  f.restart();
  CHECK(f.service->offerCount() == 1);
}

TEST_CASE("Offline coupons: the refresher fetches the offers in the background at start",
          "[agent]") {
  Fixture f;
  CHECK(f.service->offerCount() == 0);
  f.service->start();
  CHECK(waitUntil([&] { return f.service->offerCount() == kOfferCount; }));
  bool fetched = false;
  for (const test::ReceivedRequest& r : f.core.received()) {
    fetched = fetched || (r.method == "GET" && r.uri == "/v1/offers" && r.status == 200);
  }
  CHECK(fetched);
}

TEST_CASE("Offline coupons: a queued commit carries offline_coupons=true and its coupons",
          "[agent]") {
  Fixture f;
  f.loadOffers();
  f.core.stop();
  std::string code = f.coupon(kSkuCampaign);
  CHECK(only(f.price("C1", {code})).accepted);
  CHECK(f.pricedOffline("C1"));

  // The POS says false; the agent knows better.
  std::string body = encode(commitWith("C1", {code}, false));
  Reply answer = f.service->commit(body, "req-c1");
  REQUIRE(answer.status == 200);
  base::Result<protocol::CommitResponse> queued = protocol::decodeCommitResponse(answer.body);
  REQUIRE(queued.ok());
  CHECK(queued->status == protocol::kStatusQueued);
  REQUIRE(queued->discounts.size() == 1);
  CHECK(queued->discounts[0].coupon == code);
  protocol::CommitRequest stored = f.queuedCommit();
  CHECK(stored.offlineCoupons);
  CHECK(stored.coupons == std::vector<std::string>{code});
  base::Result<std::optional<std::string>> by =
      f.outbox->redeemedBy(protocol::decodeCouponClaims(code)->serial);
  REQUIRE(by.ok());
  CHECK(*by == std::optional<std::string>("S001/T01/2024-03-15/C1"));

  // The POS retries the same commit (it never saw the answer): the agent answers the same and
  // stores the same body, so the core sees a replay, not an idempotency conflict.
  Reply retried = f.service->commit(body, "req-c1-again");
  CHECK(retried.body == answer.body);
  CHECK(f.outbox->pending() == 2);

  // Delivered as stored.
  f.core.restart();
  f.service->start();
  REQUIRE(waitUntil([&] { return f.service->statusSnapshot().delivered == 2; }));
  std::vector<std::string> delivered = f.core.accepted("/v1/commit");
  REQUIRE(delivered.size() == 2);
  CHECK(delivered[0] == delivered[1]);
  base::Result<protocol::CommitRequest> sent = protocol::decodeCommitRequest(delivered[0]);
  REQUIRE(sent.ok());
  CHECK(sent->offlineCoupons);
  CHECK(sent->coupons == std::vector<std::string>{code});
}

TEST_CASE("Offline coupons: a commit priced offline says so when the core is back", "[agent]") {
  Fixture f;
  f.loadOffers();
  f.core.stop();
  std::string code = f.coupon(kSkuCampaign);
  CHECK(only(f.price("C2", {code})).accepted);
  f.core.restart();

  Reply reply = f.service->commit(encode(commitWith("C2", {code}, false)), "req-c2");
  CHECK(reply.status == 200);
  std::vector<std::string> forwarded = f.core.accepted("/v1/commit");
  REQUIRE(forwarded.size() == 1);
  base::Result<protocol::CommitRequest> sent = protocol::decodeCommitRequest(forwarded[0]);
  REQUIRE(sent.ok());
  CHECK(sent->offlineCoupons);

  // A retry of the committed sale carries the same flag, so the core answers it as a replay.
  CHECK(f.service->commit(encode(commitWith("C2", {code}, false)), "req-c2-again").status == 200);
  forwarded = f.core.accepted("/v1/commit");
  REQUIRE(forwarded.size() == 2);
  CHECK(forwarded[1] == forwarded[0]);
}

TEST_CASE("Offline coupons: a POS-sent offline_coupons=true on an online flow becomes false",
          "[agent]") {
  Fixture f;
  f.loadOffers();
  std::string code = f.coupon(kSkuCampaign);
  Reply priced = f.service->price(encode(test::samplePrice({code})), "req-p");
  CHECK(priced.body == encode(FakeCore::priceAnswer()));  // the core answered

  protocol::CommitRequest request = commitWith("O1", {code}, true);
  Reply reply = f.service->commit(encode(request), "req-o1");
  CHECK(reply.status == 200);
  CHECK(reply.body == encode(FakeCore::commitAnswer()));
  std::vector<std::string> forwarded = f.core.accepted("/v1/commit");
  REQUIRE(forwarded.size() == 1);
  base::Result<protocol::CommitRequest> sent = protocol::decodeCommitRequest(forwarded[0]);
  REQUIRE(sent.ok());
  CHECK_FALSE(sent->offlineCoupons);
  CHECK(sent->coupons == std::vector<std::string>{code});

  // The core took the coupon: this till now refuses it while offline.
  f.core.stop();
  protocol::CouponDecision later = only(f.price("O2", {code}));
  CHECK_FALSE(later.accepted);
  CHECK(later.reason == kCouponAlreadyRedeemed);
}

TEST_CASE("Offline coupons: an offline price without codes leaves no mark; its commit says false",
          "[agent]") {
  Fixture f;
  f.core.stop();
  base::Result<protocol::PriceResponse> priced =
      protocol::decodePriceResponse(f.service->price(encode(test::samplePrice({})), "r").body);
  REQUIRE(priced.ok());
  CHECK(priced->offline);
  CHECK(priced->coupons.empty());
  CHECK_FALSE(f.pricedOffline("P1"));  // nothing granted, nothing written

  Reply queued = f.service->commit(encode(commitWith("P1", {}, true)), "req-p1");
  REQUIRE(queued.status == 200);
  CHECK_FALSE(f.queuedCommit().offlineCoupons);  // the agent decides, not the POS
}

TEST_CASE("Offline coupons: a commit without any offline price goes on byte for byte", "[agent]") {
  Fixture f;
  std::string body = encode(commitWith("B1", {}, false));
  CHECK(f.service->commit(body, "req-b1").status == 200);
  CHECK(f.core.accepted("/v1/commit") == std::vector<std::string>{body});
}

TEST_CASE("Offline coupons: void is forwarded, answered with 0 released offline, never queued",
          "[agent]") {
  Fixture f;
  protocol::VoidRequest request;
  request.key = test::sampleKey("V1");
  std::string body = encode(request);

  Reply online = f.service->voidTransaction(body, "req-v1");
  CHECK(online.status == 200);
  CHECK(online.body == encode(FakeCore::voidAnswer()));
  CHECK(f.core.accepted("/v1/void") == std::vector<std::string>{body});

  f.core.stop();
  CHECK(only(f.price("V1", {"SAVE10"})).reason == protocol::kCouponMalformed);
  CHECK(f.pricedOffline("V1"));
  Reply offline = f.service->voidTransaction(body, "req-v2");
  REQUIRE(offline.status == 200);
  base::Result<protocol::VoidResponse> released = protocol::decodeVoidResponse(offline.body);
  REQUIRE(released.ok());
  CHECK(released->released == 0);
  CHECK(f.outbox->pending() == 0);
  CHECK_FALSE(f.pricedOffline("V1"));  // the abandoned transaction leaves no mark

  Reply bad = f.service->voidTransaction("{\"store\": 1}", "req-v3");
  CHECK(bad.status >= 400);
  CHECK(bad.status <= 499);
}

}  // namespace
}  // namespace loyalty::agent
