// Acceptance of personalized coupons with the real daemons and SQLite: a shopper who buys one
// product every few visits gets a coupon for it when it is due; a control-group shopper gets
// nothing printed while the would-have-been coupon is recorded; budgets and caps hold.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "integration/daemons.h"
#include "loyalty/protocol/card.h"
#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/json.h"

using namespace loyalty;
using namespace loyalty::testing;

namespace {

protocol::CommitRequest visit(const std::string& card, int number,
                              std::vector<protocol::BasketLine> lines) {
  protocol::CommitRequest c;
  c.key = {"S001", "T1", "2026-11-23", card.substr(card.size() - 6) + "-" +
                                           std::to_string(number)};
  c.card = card;
  c.lines = std::move(lines);
  return c;
}

int64_t createCampaign(agent::Client& admin, const std::string& json) {
  auto r = admin.send("POST", "/v1/admin/campaigns", json);
  REQUIRE(r.ok());
  INFO(r->body);
  REQUIRE((r->status == 200 || r->status == 201));
  auto v = protocol::json::parse(r->body);
  REQUIRE(v.ok());
  return v->find("id")->asInt();
}

std::string personalizedCampaign(const std::string& extra) {
  return R"({"name":"Your favourites","status":"active","issuance":"personalized",)"
         R"("reward":{"kind":"percent_off","target":"sku","percent":20},)" +
         extra + "}";
}

}  // namespace

TEST_CASE("Personalized: a product bought every third visit is offered when it is due",
          "[integration][personalized]") {
  TempDir dir("loyalty-personal-due");
  CoreDaemon core(dir);
  core.enableCoupons();
  core.start();
  auto admin = core.adminClient();
  REQUIRE(admin.importCatalogue(testCatalogueCsv()).ok());
  const std::string card = protocol::cardForCustomerNumber(77);
  auto till = core.client();
  // P7 at visits 0 and 3; P1 at every visit.
  for (int n = 0; n < 5; ++n) {
    std::vector<protocol::BasketLine> lines{{1, "P1", 1, base::Money(200)}};
    if (n % 3 == 0) {
      lines.push_back({2, "P7", 1, base::Money(350)});
    }
    auto r = till.commit(visit(card, n, lines));
    REQUIRE(r.ok());
    CHECK(r->coupons.empty());
  }
  createCampaign(admin, personalizedCampaign(R"("personalized_count":1,"discover_percent":0)"));
  auto due = till.commit(visit(card, 5, {{1, "P1", 1, base::Money(200)}}));
  REQUIRE(due.ok());
  REQUIRE(due->coupons.size() == 1);
  INFO(due->coupons[0].description);
  CHECK(due->coupons[0].description.find("P7") != std::string::npos);

  // It takes 20 % off P7 at the next visit.
  protocol::PriceRequest next;
  next.key = visit(card, 6, {}).key;
  next.card = card;
  next.lines = {{1, "P7", 1, base::Money(350)}};
  next.coupons = {due->coupons[0].code};
  auto priced = till.price(next);
  REQUIRE(priced.ok());
  REQUIRE(priced->coupons.size() == 1);
  CHECK(priced->coupons[0].accepted);
  CHECK(priced->total == base::Money(280));
}

TEST_CASE("Personalized: control-group shoppers get nothing printed, the coupon is recorded",
          "[integration][personalized]") {
  TempDir dir("loyalty-personal-control");
  CoreDaemon core(dir);
  core.enableCoupons();
  core.start();
  auto admin = core.adminClient();
  REQUIRE(admin.importCatalogue(testCatalogueCsv()).ok());
  const int64_t id = createCampaign(
      admin, personalizedCampaign(R"("control_percent":100,"allow_basket_items":true)"));
  auto till = core.client();
  const std::string card = protocol::cardForCustomerNumber(78);
  auto r = till.commit(visit(card, 0, {{1, "P3", 2, base::Money(250)}}));
  REQUIRE(r.ok());
  CHECK(r->coupons.empty());
  DbInspector db(core.databasePath());
  CHECK(db.scalar("SELECT COUNT(*) FROM coupons WHERE state = 'control' AND campaign_id = " +
                  std::to_string(id)) == 1);
  CHECK(db.scalar("SELECT COUNT(*) FROM coupons WHERE state = 'control' AND sku = 'P3'") == 1);
  CHECK(db.scalar("SELECT COUNT(*) FROM coupons WHERE state <> 'control'") == 0);
}

TEST_CASE("Personalized: the count budget and the per-shopper cap hold",
          "[integration][personalized]") {
  TempDir dir("loyalty-personal-budget");
  CoreDaemon core(dir);
  core.enableCoupons();
  core.start();
  auto admin = core.adminClient();
  REQUIRE(admin.importCatalogue(testCatalogueCsv()).ok());
  createCampaign(admin,
                 personalizedCampaign(R"("allow_basket_items":true,"budget_count":3,)"
                                      R"("cap_per_period":1,"cap_period_days":30)"));
  auto till = core.client();
  int printed = 0;
  std::set<std::string> served;
  for (int shopper = 0; shopper < 4; ++shopper) {
    const std::string card = protocol::cardForCustomerNumber(100 + shopper);
    for (int n = 0; n < 2; ++n) {
      auto r = till.commit(visit(card, n, {{1, "P9", 1, base::Money(300)}}));
      REQUIRE(r.ok());
      printed += static_cast<int>(r->coupons.size());
      if (!r->coupons.empty()) {
        CHECK(served.insert(card).second);  // at most one per shopper in the period
      }
    }
  }
  CHECK(printed == 3);
  DbInspector db(core.databasePath());
  CHECK(db.scalar("SELECT issued_count FROM campaigns") == 3);
}
