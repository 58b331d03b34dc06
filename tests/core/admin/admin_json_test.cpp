// The admin API's JSON (loyalty-core/src/admin/admin_json.h): round trips of the programme and
// campaigns, the documented earn-rules shape of docs/offers.md, and strict decoding (the error
// code and the field path of each kind of mistake).
#include "admin/admin_json.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "admin/admin_api.h"
#include "core/admin/admin_test_util.h"

#ifndef LOYALTY_DOCS_DIR
#error "LOYALTY_DOCS_DIR must name the docs directory"
#endif

namespace loyalty::core::admin {
namespace {

using base::ErrorCode;
using base::Money;
using base::Points;
using domain::Programme;

Programme richProgramme() {
  Programme p;
  p.earn.base.pointsPerUnit = 2;
  p.earn.base.unitMinor = 250;
  p.earn.base.excludedCategories = {"tobacco", "alcohol/spirits"};
  domain::rules::Multiplier m;
  m.id = "moo-2x";
  m.scope = {domain::rules::ScopeKind::kBrand, "Moo"};
  m.percent = 200;
  m.from = "2024-03-01";
  m.to = "2024-03-31";
  p.earn.multipliers.push_back(m);
  domain::rules::Multiplier all;
  all.id = "weekend";
  all.scope = {domain::rules::ScopeKind::kAll, ""};
  all.percent = 150;
  p.earn.multipliers.push_back(all);
  p.earn.productBonuses.push_back({"coffee-50", "4000004", 50, std::nullopt, "2024-06-30"});
  p.earn.thresholdBonuses.push_back({"spend-50", Money(5000), Points(200), "2024-01-01", {}});
  p.earn.tiers.push_back({"silver", Money(100000), 125});
  p.earn.tiers.push_back({"gold", Money(300000), 150});
  p.tender.unitPoints = 50;
  p.tender.unitValue = Money(25);
  p.tender.minPoints = 200;
  p.expiryMonths = 24;
  p.clawback = domain::ClawbackPolicy::kAllowNegative;
  p.reservationSeconds = 600;
  p.rollingSpendDays = 180;
  return p;
}

std::string readDoc(const std::string& name) {
  std::ifstream in(std::string(LOYALTY_DOCS_DIR) + "/" + name, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The text between "```<fence>\n" and the next "```" line.
std::string fencedBlock(const std::string& doc, const std::string& fence) {
  const std::string open = "```" + fence + "\n";
  const size_t start = doc.find(open);
  REQUIRE(start != std::string::npos);
  const size_t body = start + open.size();
  const size_t end = doc.find("\n```", body);
  REQUIRE(end != std::string::npos);
  return doc.substr(body, end - body + 1);
}

void checkError(const base::Result<Programme>& r, ErrorCode code, const std::string& prefix) {
  REQUIRE_FALSE(r.ok());
  INFO(r.error().message);
  CHECK(r.error().code == code);
  CHECK(r.error().message.rfind(prefix, 0) == 0);
}

TEST_CASE("Programme JSON: encode then decode gives the same programme", "[admin]") {
  const Programme p = richProgramme();
  const std::string text = encodeProgramme(p);
  auto back = decodeProgramme(text);
  INFO(text);
  REQUIRE(back.ok());
  CHECK(encodeProgramme(back.value()) == text);
  CHECK(back->earn.base.pointsPerUnit == 2);
  CHECK(back->earn.base.excludedCategories == p.earn.base.excludedCategories);
  REQUIRE(back->earn.multipliers.size() == 2);
  CHECK(back->earn.multipliers[0].scope.kind == domain::rules::ScopeKind::kBrand);
  CHECK(back->earn.multipliers[0].to == std::optional<std::string>("2024-03-31"));
  CHECK_FALSE(back->earn.multipliers[1].from.has_value());
  CHECK(back->earn.productBonuses[0].to == std::optional<std::string>("2024-06-30"));
  CHECK(back->earn.thresholdBonuses[0].points == Points(200));
  CHECK(back->earn.tiers[1].minRollingSpend == Money(300000));
  CHECK(back->tender.unitValue == Money(25));
  CHECK(back->tender.minPoints == 200);
  CHECK(back->expiryMonths == 24);
  CHECK(back->clawback == domain::ClawbackPolicy::kAllowNegative);
  CHECK(back->reservationSeconds == 600);
  CHECK(back->rollingSpendDays == 180);
}

TEST_CASE("Programme JSON: the documented shape, field names and defaults", "[admin]") {
  const std::string text = encodeProgramme(Programme());
  CHECK(text ==
        R"({"earn":{"base":{"pointsPerUnit":1,"unitMinor":100,"excludedCategories":)"
        R"(["tobacco","alcohol","gift-cards","deposits"]},"multipliers":[],"productBonuses":[],)"
        R"("thresholdBonuses":[],"tiers":[]},"tender":{"unit_points":100,"unit_value":100,)"
        R"("min_points":500},"expiry_months":0,"clawback":"offset","reservation_seconds":900,)"
        R"("rolling_spend_days":365})");
  // Every field may be left out: {} is the default programme.
  auto empty = decodeProgramme("{}");
  REQUIRE(empty.ok());
  CHECK(encodeProgramme(empty.value()) == text);
}

TEST_CASE("Programme JSON: the earn rules of docs/offers.md decode as documented", "[admin]") {
  const std::string rules = fencedBlock(readDoc("offers.md"), "offer-rules");
  auto p = decodeProgramme("{\"earn\":" + rules + "}");
  INFO((p.ok() ? std::string() : p.error().message));
  REQUIRE(p.ok());
  const auto& earn = p->earn;
  CHECK(earn.base.pointsPerUnit == 1);
  CHECK(earn.base.unitMinor == 100);
  CHECK(earn.base.excludedCategories.size() == 4);
  REQUIRE(earn.multipliers.size() == 2);
  CHECK(earn.multipliers[0].id == "moo-2x");
  CHECK(earn.multipliers[0].scope.value == "Moo");
  CHECK(earn.multipliers[1].scope.kind == domain::rules::ScopeKind::kAll);
  REQUIRE(earn.productBonuses.size() == 1);
  CHECK(earn.productBonuses[0].pointsPerUnitBought == 50);
  REQUIRE(earn.thresholdBonuses.size() == 1);
  CHECK(earn.thresholdBonuses[0].minEligibleSpend == Money(5000));
  REQUIRE(earn.tiers.size() == 2);
  CHECK(earn.tiers[1].name == "gold");
  CHECK(earn.tiers[1].percent == 150);
}

TEST_CASE("Programme JSON: the rules of every worked example in docs/offers.md decode", "[admin]") {
  // The admin API reads the same shape as the executed examples of offers.md, so a rule set
  // that works there can be PUT as a programme's "earn" as it is.
  const std::string doc = readDoc("offers.md");
  const std::string open = "```offer-example\n";
  size_t at = 0;
  int decoded = 0;
  while ((at = doc.find(open, at)) != std::string::npos) {
    const size_t body = at + open.size();
    const size_t end = doc.find("\n```", body);
    REQUIRE(end != std::string::npos);
    auto example = json::parse(doc.substr(body, end - body));
    REQUIRE(example.ok());
    const json::Value* rules = example->find("rules");
    REQUIRE(rules != nullptr);
    INFO(json::serialize(*rules));
    JsonReader reader;
    domain::rules::EarnRules earn;
    CHECK(readEarnRules(reader, *rules, "earn", earn));
    INFO((reader.ok() ? std::string() : reader.error().message));
    CHECK(reader.ok());
    CHECK(domain::rules::validate(earn).ok());
    // And it survives a round trip through the programme's JSON.
    domain::Programme p;
    p.earn = earn;
    auto back = decodeProgramme(encodeProgramme(p));
    REQUIRE(back.ok());
    CHECK(encodeProgramme(back.value()) == encodeProgramme(p));
    ++decoded;
    at = end;
  }
  CHECK(decoded >= 13);
}

TEST_CASE("Programme JSON: strict decoding names the field", "[admin]") {
  checkError(decodeProgramme(R"({"earn":{"multipliers":[{"id":"a","scope":{"kind":"all"},)"
                             R"("percent":100,"colour":"red"}]}})"),
             ErrorCode::kUnknownField, "earn.multipliers[0].colour: ");
  checkError(decodeProgramme(R"({"tender":{"unit_points":"100"}})"), ErrorCode::kWrongType,
             "tender.unit_points: ");
  checkError(decodeProgramme(R"({"clawback":"forgive"})"), ErrorCode::kInvalidValue, "clawback: ");
  checkError(decodeProgramme(R"({"clawback":1})"), ErrorCode::kWrongType, "clawback: ");
  checkError(decodeProgramme(R"({"earn":{"tiers":[{"name":"gold","percent":150}]}})"),
             ErrorCode::kMissingField, "earn.tiers[0].minRollingSpend: ");
  checkError(decodeProgramme(R"({"earn":{"multipliers":[{"id":"a","scope":{"kind":"planet"},)"
                             R"("percent":100}]}})"),
             ErrorCode::kInvalidValue, "earn.multipliers[0].scope.kind: ");
  checkError(decodeProgramme(R"({"earn":{"productBonuses":[{"id":"a","sku":"1",)"
                             R"("pointsPerUnitBought":1,"from":"2024-02-30"}]}})"),
             ErrorCode::kInvalidValue, "earn.productBonuses[0].from: ");
  checkError(decodeProgramme(R"({"programme":{}})"), ErrorCode::kUnknownField, "programme: ");
  checkError(decodeProgramme(R"([])"), ErrorCode::kWrongType, "body: ");
  CHECK(decodeProgramme(R"({"earn":)").error().code == ErrorCode::kMalformedJson);
  // Values are validated by the domain: a percent above 1000, expiry over 120 months.
  auto percent = decodeProgramme(
      R"({"earn":{"multipliers":[{"id":"a","scope":{"kind":"all"},"percent":1001}]}})");
  REQUIRE_FALSE(percent.ok());
  CHECK(percent.error().message.find("a") != std::string::npos);
  CHECK_FALSE(decodeProgramme(R"({"expiry_months":121})").ok());
  CHECK_FALSE(decodeProgramme(R"({"reservation_seconds":5})").ok());
}

domain::Campaign richCampaign() {
  domain::Campaign c;
  c.id = 12;
  c.name = "Dairy week";
  c.ownerStore = "S1";
  c.status = domain::CampaignStatus::kActive;
  c.from = "2024-03-01";
  c.to = "2024-03-31";
  c.reward.kind = offers::RewardKind::kPercentOff;
  c.reward.target = offers::TargetKind::kCategory;
  c.reward.value = "dairy";
  c.reward.percent = 20;
  c.tiers = {"gold"};
  c.stores = {"S1", "S2"};
  c.validityDays = 14;
  c.budgetCount = 1000;
  c.budgetCost = Money(50000);
  c.capPerVisit = 2;
  c.capPerPeriod = 3;
  c.capPeriodDays = 7;
  c.issuance = domain::IssuanceKind::kCheckoutTrigger;
  c.trigger.target = offers::TargetKind::kSku;
  c.trigger.value = "P7";
  c.trigger.minQuantity = 2;
  c.trigger.minSpend = Money(500);
  c.controlPercent = 10;
  c.issuedCount = 40;
  c.redeemedCount = 7;
  c.redeemedCost = Money(1234);
  c.updatedAtMs = 1'700'000'000'000;
  return c;
}

base::Result<CampaignInput> decodeCampaignText(const std::string& text) {
  auto parsed = parseBody(text, 1 << 20);
  REQUIRE(parsed.ok());
  return decodeCampaign(parsed.value(), "");
}

TEST_CASE("Campaign JSON: every field round-trips; counters are read-only", "[admin]") {
  const domain::Campaign c = richCampaign();
  const std::string text = encodeCampaign(c);
  INFO(text);
  for (const char* field :
       {"\"id\":12",
        "\"name\":\"Dairy week\"",
        "\"owner_store\":\"S1\"",
        "\"status\":\"active\"",
        "\"from\":\"2024-03-01\"",
        "\"to\":\"2024-03-31\"",
        "\"reward\":{",
        "\"tiers\":[\"gold\"]",
        "\"stores\":[\"S1\",\"S2\"]",
        "\"validity_days\":14",
        "\"budget_count\":1000",
        "\"budget_cost\":50000",
        "\"cap_per_visit\":2",
        "\"cap_per_period\":3",
        "\"cap_period_days\":7",
        "\"issuance\":\"checkout_trigger\"",
        "\"trigger\":{\"target\":\"sku\",\"value\":\"P7\",\"min_quantity\":2,\"min_spend\":500}",
        "\"control_percent\":10",
        "\"issued_count\":40",
        "\"redeemed_count\":7",
        "\"redeemed_cost\":1234",
        "\"updated_at_ms\":1700000000000"}) {
    CHECK(text.find(field) != std::string::npos);
  }
  auto in = decodeCampaignText(text);
  INFO((in.ok() ? std::string() : in.error().message));
  REQUIRE(in.ok());
  const domain::Campaign& d = in->campaign;
  CHECK(in->id == std::optional<int64_t>(12));
  CHECK(in->status == std::optional<domain::CampaignStatus>(domain::CampaignStatus::kActive));
  CHECK(in->hasOwnerStore);
  CHECK(d.name == c.name);
  CHECK(d.ownerStore == "S1");
  CHECK(d.from == c.from);
  CHECK(d.to == c.to);
  CHECK(d.reward == c.reward);
  CHECK(d.tiers == c.tiers);
  CHECK(d.stores == c.stores);
  CHECK(d.validityDays == 14);
  CHECK(d.budgetCount == 1000);
  CHECK(d.budgetCost == Money(50000));
  CHECK(d.capPerVisit == 2);
  CHECK(d.capPerPeriod == 3);
  CHECK(d.capPeriodDays == 7);
  CHECK(d.issuance == domain::IssuanceKind::kCheckoutTrigger);
  CHECK(d.trigger.target == offers::TargetKind::kSku);
  CHECK(d.trigger.value == "P7");
  CHECK(d.trigger.minQuantity == 2);
  CHECK(d.trigger.minSpend == Money(500));
  CHECK(d.controlPercent == 10);
  // Counters come from the domain, never from a client.
  CHECK(d.issuedCount == 0);
  CHECK(d.redeemedCount == 0);
  CHECK(d.redeemedCost == Money(0));
  CHECK(d.updatedAtMs == 0);
}

TEST_CASE("Campaign JSON: defaults for what is left out", "[admin]") {
  auto in = decodeCampaignText(campaignJson("Minimal", {}));
  REQUIRE(in.ok());
  const domain::Campaign d = in->campaign;
  const domain::Campaign defaults;
  CHECK_FALSE(in->hasOwnerStore);
  CHECK_FALSE(in->status.has_value());
  CHECK(d.ownerStore.empty());
  CHECK(d.stores.empty());
  CHECK(d.validityDays == defaults.validityDays);
  CHECK(d.capPerVisit == defaults.capPerVisit);
  CHECK(d.issuance == domain::IssuanceKind::kManual);
  CHECK(d.reward.kind == offers::RewardKind::kAmountOff);
  CHECK(d.reward.amount == Money(150));
  // A manual campaign is encoded without a trigger.
  CHECK(encodeCampaign(d).find("trigger") == std::string::npos);
}

TEST_CASE("Campaign JSON: strict decoding names the field", "[admin]") {
  struct Case {
    std::string json;
    ErrorCode code;
    std::string prefix;
  };
  const std::string reward = R"("reward":{"kind":"amount_off","target":"basket","amount":100})";
  for (const Case& c : std::vector<Case>{
           {"{" + reward + "}", ErrorCode::kMissingField, "name: "},
           {R"({"name":"x"})", ErrorCode::kMissingField, "reward: "},
           {R"({"name":"x",)" + reward + R"(,"colour":1})", ErrorCode::kUnknownField, "colour: "},
           {R"({"name":"x",)" + reward + R"(,"validity_days":"30"})", ErrorCode::kWrongType,
            "validity_days: "},
           {R"({"name":"x",)" + reward + R"(,"stores":["S1","S 2"]})", ErrorCode::kInvalidValue,
            "stores[1]: "},
           {R"({"name":"x",)" + reward + R"(,"stores":"S1"})", ErrorCode::kWrongType, "stores: "},
           {R"({"name":"x",)" + reward + R"(,"status":"running"})", ErrorCode::kInvalidValue,
            "status: "},
           {R"({"name":"x",)" + reward + R"(,"issuance":"checkout_trigger"})",
            ErrorCode::kMissingField, "trigger: "},
           {R"({"name":"x",)" + reward + R"(,"trigger":{"target":"basket"}})",
            ErrorCode::kInvalidValue, "trigger: "},
           {R"({"name":"x",)" + reward +
                R"(,"issuance":"checkout_trigger","trigger":{"target":"basket","min_qty":1}})",
            ErrorCode::kUnknownField, "trigger.min_qty: "},
           {R"({"name":"x",)" + reward + R"(,"from":"2024-13-01"})", ErrorCode::kInvalidValue,
            "from: "},
           {R"({"name":"",)" + reward + "}", ErrorCode::kInvalidValue, "name: "},
           {R"({"name":"x",)" + reward + R"(,"issued_count":"7"})", ErrorCode::kWrongType,
            "issued_count: "},
           {R"({"name":"x","reward":{"kind":"percent_off","target":"basket","percent":101}})",
            ErrorCode::kValueOutOfRange, "reward.percent"},
           {R"({"name":"x","reward":{"kind":"gift","target":"basket"}})", ErrorCode::kInvalidValue,
            "reward.kind"},
       }) {
    INFO(c.json);
    auto in = decodeCampaignText(c.json);
    REQUIRE_FALSE(in.ok());
    INFO(in.error().message);
    CHECK(in.error().code == c.code);
    CHECK(in.error().message.rfind(c.prefix, 0) == 0);
  }
}

TEST_CASE("User JSON: never the password hash", "[admin]") {
  domain::User u;
  u.name = "maria";
  u.role = domain::Role::kStoreManager;
  u.stores = {"S1", "S2"};
  u.passwordHash = "pbkdf2-sha256$1000$00$11";
  u.createdAtMs = 5;
  const std::string text = encodeUser(u);
  CHECK(text == R"({"name":"maria","role":"store_manager","stores":["S1","S2"],"created_at_ms":5,)"
                R"("disabled":false})");

  auto parse = [](const std::string& s) {
    auto v = parseBody(s, 4096);
    REQUIRE(v.ok());
    return std::move(v).value();
  };
  auto ok = decodeNewUser(
      parse(R"({"name":"maria","role":"store_manager","stores":["S1"],"password":"12345678"})"));
  REQUIRE(ok.ok());
  CHECK(ok->role == domain::Role::kStoreManager);
  CHECK(decodeNewUser(parse(R"({"name":"m","role":"store_manager","password":"12345678"})"))
            .error()
            .code == ErrorCode::kInvalidValue);  // a store manager needs stores
  CHECK(
      decodeNewUser(parse(R"({"name":"m","role":"analyst","stores":["S1"],"password":"12345678"})"))
          .error()
          .message.rfind("stores: ", 0) == 0);
  CHECK(decodeNewUser(parse(R"({"name":"m","role":"analyst","password":"1234567"})"))
            .error()
            .message.rfind("password: ", 0) == 0);
  CHECK(decodeNewUser(parse(R"({"name":"m n","role":"analyst","password":"12345678"})"))
            .error()
            .message.rfind("name: ", 0) == 0);
  CHECK(decodeNewUser(parse(R"({"name":"m","role":"boss","password":"12345678"})"))
            .error()
            .message.rfind("role: ", 0) == 0);
}

TEST_CASE("Audit JSON: before and after are embedded as JSON", "[admin]") {
  domain::AuditEntry e;
  e.id = 3;
  e.atMs = 10;
  e.user = "root";
  e.action = "campaign.update";
  e.target = "campaign:1";
  e.outcome = "ok";
  e.before = R"({"name":"a"})";
  e.after = R"({"name":"b"})";
  CHECK(encodeAuditEntry(e) ==
        R"({"id":3,"at_ms":10,"user":"root","action":"campaign.update","target":"campaign:1",)"
        R"("outcome":"ok","before":{"name":"a"},"after":{"name":"b"}})");
  e.before.clear();
  e.after = "not json";
  const std::string text = encodeAuditEntry(e);
  CHECK(text.find(R"("before":null,"after":"not json")") != std::string::npos);
  CHECK(json::parse(text).ok());
}

TEST_CASE("Report JSON: preview and expiry reports", "[admin]") {
  domain::PreviewReport p;
  p.days = 30;
  p.salesScanned = 100;
  p.salesTouched = 20;
  p.shoppersTouched = 15;
  p.couponsIssued = 5;
  p.discountCost = Money(750);
  p.pointsCost = Points(-40);
  CHECK(encodePreviewReport(p) ==
        R"({"days":30,"sales_scanned":100,"sales_touched":20,"shoppers_touched":15,)"
        R"("coupons_issued":5,"discount_cost":750,"points_cost":-40})");
  domain::ExpiryReport e;
  e.customersScanned = 9;
  e.customersExpired = 2;
  e.pointsExpired = Points(120);
  e.cutoffMs = 77;
  CHECK(encodeExpiryReport(e) ==
        R"({"customers_scanned":9,"customers_expired":2,"points_expired":120,"cutoff_ms":77})");
}

}  // namespace
}  // namespace loyalty::core::admin
