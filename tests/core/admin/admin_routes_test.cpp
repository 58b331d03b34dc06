// Every /v1/admin route in-process (AdminHarness: Router + InMemoryStore + ManualClock):
// authentication, the role matrix, the audit log (including refused attempts), validation that
// leaves no trace, and what each route answers.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "admin/admin_api.h"
#include "admin/passwords.h"
#include "core/admin/admin_test_util.h"
#include "loyalty/protocol/card.h"

namespace loyalty::core::admin {
namespace {

using protocol::json::Value;

struct Route {
  std::string method;
  std::string path;
  std::string body;
  std::string contentType = "application/json";
};

// One request per route (bodies valid enough to get past decoding when allowed).
std::vector<Route> everyProtectedRoute() {
  const std::string campaign = campaignJson("Any", {"S1"}, "S1");
  return {
      {"GET", "/v1/admin/users", ""},
      {"POST", "/v1/admin/users", R"({"name":"zed","role":"analyst","password":"zed-password"})"},
      {"PUT", "/v1/admin/users/root", R"({"disabled":false})"},
      {"GET", "/v1/admin/programme", ""},
      {"PUT", "/v1/admin/programme", "{}"},
      {"POST", "/v1/admin/programme/preview", R"({"programme":{},"days":7})"},
      {"GET", "/v1/admin/campaigns", ""},
      {"GET", "/v1/admin/campaigns/1", ""},
      {"POST", "/v1/admin/campaigns", campaign},
      {"PUT", "/v1/admin/campaigns/1", campaign},
      {"POST", "/v1/admin/campaigns/1/status", R"({"status":"active"})"},
      {"POST", "/v1/admin/campaigns/1/issue", R"({"cards":["9000000000019"]})"},
      {"POST", "/v1/admin/campaigns/preview", "{\"campaign\":" + campaign + ",\"days\":7}"},
      {"GET", "/v1/admin/coupons/conflicts", ""},
      {"POST", "/v1/admin/points/expire", ""},
      {"GET", "/v1/admin/audit", ""},
      {"PUT", "/v1/admin/catalogue", "sku,name,category_path,brand\nP1,Milk,dairy,Moo\n",
       "text/csv"},
      {"POST", "/v1/admin/history", "customer_id,basket_key,item_id\n1,b1,7\n", "text/csv"},
  };
}

bool hasHeader(const Reply& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) {
      return true;
    }
  }
  return false;
}

size_t countAudit(AdminHarness& h, const std::string& outcome, const std::string& action = "") {
  size_t n = 0;
  for (const auto& e : h.auditLog()) {
    if (e.outcome == outcome && (action.empty() || e.action == action)) {
      ++n;
    }
  }
  return n;
}

TEST_CASE("Admin API: every route but login is 401 without a valid token", "[admin]") {
  AdminHarness h;
  const std::string token = h.rootToken();
  std::string other = token;
  other[0] = other[0] == 'a' ? 'b' : 'a';
  for (const Route& route : everyProtectedRoute()) {
    INFO(route.method << " " << route.path);
    const Reply none = h.call(route.method, route.path, route.body, "", route.contentType);
    CHECK(none.status == 401);
    CHECK(none.code() == "unauthorized");
    CHECK(none.contentType == "application/problem+json");
    CHECK(hasHeader(none, "WWW-Authenticate"));
    const Reply bad = h.call(route.method, route.path, route.body, other, route.contentType);
    CHECK(bad.status == 401);
    const Reply garbage = h.call(route.method, route.path, route.body, "not-a-token");
    CHECK(garbage.status == 401);
  }
  // Nothing happened: no user, campaign or audit entry beyond the bootstrap.
  CHECK(h.store.users().value().size() == 1);
  CHECK(h.store.campaigns().value().empty());
  CHECK(h.auditLog().size() == 1);
}

TEST_CASE("Admin API: an expired token is 401; a fresh login works again", "[admin]") {
  AdminHarness h;
  const std::string token = h.rootToken();
  CHECK(h.call("GET", "/v1/admin/users", "", token).status == 200);
  h.clock.advanceMs(60 * 60'000);  // the harness's tokens last 60 minutes
  for (const Route& route : everyProtectedRoute()) {
    INFO(route.method << " " << route.path);
    CHECK(h.call(route.method, route.path, route.body, token, route.contentType).status == 401);
  }
  CHECK(h.call("GET", "/v1/admin/users", "", h.login("root", kRootPassword)).status == 200);
}

TEST_CASE("Admin API: login answers token, expiry and role; refuses bad credentials", "[admin]") {
  AdminHarness h;
  const Reply ok =
      h.call("POST", "/v1/admin/login", R"({"user":"root","password":"root-password"})");
  REQUIRE(ok.status == 200);
  CHECK(looksLikeToken(ok.json.find("token")->asString()));
  CHECK(ok.json.find("expires_at_ms")->asInt() == h.clock.nowMs() + 60 * 60'000);
  CHECK(ok.json.find("role")->asString() == "hq_admin");
  CHECK(ok.json.find("user")->asString() == "root");

  const Reply wrong =
      h.call("POST", "/v1/admin/login", R"({"user":"root","password":"root-passwore"})");
  CHECK(wrong.status == 401);
  const Reply unknown =
      h.call("POST", "/v1/admin/login", R"({"user":"rooty","password":"root-password"})");
  CHECK(unknown.status == 401);
  CHECK(unknown.json.find("detail")->asString() == wrong.json.find("detail")->asString());
  CHECK(h.call("POST", "/v1/admin/login", R"({"user":"root"})").code() == "missing_field");
  CHECK(h.call("POST", "/v1/admin/login", R"({"user":"root","password":"x","otp":1})").code() ==
        "unknown_field");
  CHECK(h.call("POST", "/v1/admin/login", R"({"user":"root","password":"root-password"})", "",
               "text/plain")
            .status == 415);
}

TEST_CASE("Admin API: HQ admin may do everything", "[admin]") {
  AdminHarness h;
  const std::string root = h.rootToken();
  const int64_t id = h.createCampaign(root, campaignJson("Chain-wide", {}));
  CHECK(h.call("GET", "/v1/admin/campaigns/" + std::to_string(id), "", root).status == 200);
  CHECK(h.call("PUT", "/v1/admin/campaigns/" + std::to_string(id),
               campaignJson("Chain-wide, renamed", {}), root)
            .status == 200);
  CHECK(h.call("POST", "/v1/admin/campaigns/" + std::to_string(id) + "/status",
               R"({"status":"active"})", root)
            .status == 200);
  const Reply issued = h.call("POST", "/v1/admin/campaigns/" + std::to_string(id) + "/issue",
                              R"({"cards":["9000000000019","9000000000027"]})", root);
  INFO(issued.body);
  REQUIRE(issued.status == 200);
  const auto& coupons = issued.json.find("coupons")->items();
  REQUIRE(coupons.size() == 2);
  CHECK(coupons[0].find("card")->asString() == "9000000000019");
  CHECK(coupons[0].find("code")->asString().rfind("TEST-", 0) == 0);
  CHECK(coupons[0].find("expires")->asString().size() == 10);
  CHECK(coupons[0].find("serial")->asInt() != coupons[1].find("serial")->asInt());
  const Reply campaign = h.call("GET", "/v1/admin/campaigns/" + std::to_string(id), "", root);
  CHECK(campaign.json.find("issued_count")->asInt() == 2);
  CHECK(campaign.json.find("status")->asString() == "active");

  const Reply preview =
      h.call("POST", "/v1/admin/campaigns/preview",
             "{\"campaign\":" + campaignJson("Draft", {}) + ",\"days\":30}", root);
  INFO(preview.body);
  CHECK(preview.status == 200);
  CHECK(preview.json.find("days")->asInt() == 30);
  CHECK(h.call("PUT", "/v1/admin/programme", R"({"expiry_months":24})", root).status == 200);
  CHECK(
      h.call("POST", "/v1/admin/programme/preview", R"({"programme":{},"days":7})", root).status ==
      200);
  CHECK(h.call("POST", "/v1/admin/points/expire", "", root).status == 200);
  CHECK(h.call("GET", "/v1/admin/coupons/conflicts", "", root).status == 200);
  CHECK(h.call("GET", "/v1/admin/audit", "", root).status == 200);
  CHECK(h.call("GET", "/v1/admin/users", "", root).status == 200);
  CHECK(countAudit(h, "denied") == 0);
}

TEST_CASE("Admin API: a store manager is refused another store's campaign, and it is audited",
          "[admin]") {
  AdminHarness h;
  const std::string root = h.rootToken();
  const std::string maria = h.addUser("maria", "store_manager", {"S1"});
  const int64_t theirs = h.createCampaign(root, campaignJson("S2 only", {"S2"}, "S2"));
  const int64_t chain = h.createCampaign(root, campaignJson("Chain-wide", {}));
  const size_t campaignsBefore = h.store.campaigns().value().size();

  SECTION("create for another store") {
    const Reply r = h.call("POST", "/v1/admin/campaigns", campaignJson("Mine?", {"S2"}), maria);
    CHECK(r.status == 403);
    CHECK(r.code() == "forbidden");
    CHECK(h.store.campaigns().value().size() == campaignsBefore);
    const auto log = h.auditLog();
    REQUIRE_FALSE(log.empty());
    CHECK(log[0].outcome == "denied");
    CHECK(log[0].user == "maria");
    CHECK(log[0].action == "campaign.create");
    CHECK(log[0].target == "campaign:new");
  }
  SECTION("create naming an own store and another one") {
    CHECK(h.call("POST", "/v1/admin/campaigns", campaignJson("Both", {"S1", "S2"}), maria).status ==
          403);
    CHECK(countAudit(h, "denied", "campaign.create") == 1);
  }
  SECTION("create for no store at all (= every store)") {
    CHECK(h.call("POST", "/v1/admin/campaigns", campaignJson("All", {}), maria).status == 403);
    CHECK(countAudit(h, "denied", "campaign.create") == 1);
  }
  SECTION("update another store's campaign") {
    const Reply r = h.call("PUT", "/v1/admin/campaigns/" + std::to_string(theirs),
                           campaignJson("Taken over", {"S1"}, "S1"), maria);
    CHECK(r.status == 403);
    const auto stored = h.store.findCampaign(theirs).value();
    REQUIRE(stored.has_value());
    CHECK(stored->name == "S2 only");
    const auto log = h.auditLog();
    CHECK(log[0].outcome == "denied");
    CHECK(log[0].user == "maria");
    CHECK(log[0].action == "campaign.update");
    CHECK(log[0].target == "campaign:" + std::to_string(theirs));
  }
  SECTION("update, status, issue a chain-wide campaign") {
    const std::string path = "/v1/admin/campaigns/" + std::to_string(chain);
    CHECK(h.call("PUT", path, campaignJson("Mine now", {"S1"}, "S1"), maria).status == 403);
    CHECK(h.call("POST", path + "/status", R"({"status":"active"})", maria).status == 403);
    CHECK(h.call("POST", path + "/issue", R"({"cards":["9000000000019"]})", maria).status == 403);
    CHECK(countAudit(h, "denied") == 3);
    CHECK(h.store.findCampaign(chain).value()->status == domain::CampaignStatus::kDraft);
  }
  SECTION("their own campaign: create, update, status, issue, preview") {
    const Reply created =
        h.call("POST", "/v1/admin/campaigns", campaignJson("S1 milk", {"S1"}), maria);
    INFO(created.body);
    REQUIRE(created.status == 201);
    CHECK(created.json.find("owner_store")->asString() == "S1");  // the store they named
    const std::string path =
        "/v1/admin/campaigns/" + std::to_string(created.json.find("id")->asInt());
    CHECK(h.call("PUT", path, campaignJson("S1 milk 2", {"S1"}), maria).status == 200);
    // ... but not moving it to another store.
    CHECK(h.call("PUT", path, campaignJson("S1 milk 3", {"S1", "S2"}), maria).status == 403);
    CHECK(h.call("POST", path + "/status", R"({"status":"active"})", maria).status == 200);
    CHECK(h.call("POST", path + "/issue", R"({"cards":["9000000000019"]})", maria).status == 200);
    CHECK(h.call("POST", "/v1/admin/campaigns/preview",
                 "{\"campaign\":" + campaignJson("S1 idea", {"S1"}) + ",\"days\":7}", maria)
              .status == 200);
    CHECK(h.call("POST", "/v1/admin/campaigns/preview",
                 "{\"campaign\":" + campaignJson("S2 idea", {"S2"}) + ",\"days\":7}", maria)
              .status == 403);
    CHECK(countAudit(h, "ok", "campaign.update") == 1);
    CHECK(countAudit(h, "denied") == 2);
  }
  SECTION("programme, users, catalogue, history, expiry, audit are out of reach") {
    for (const Route& route : everyProtectedRoute()) {
      const bool hqOnly = route.path.find("/programme") != std::string::npos ||
                          route.path.find("/users") != std::string::npos ||
                          route.path.find("/catalogue") != std::string::npos ||
                          route.path.find("/history") != std::string::npos ||
                          route.path.find("/points") != std::string::npos ||
                          route.path.find("/audit") != std::string::npos;
      if (!hqOnly || (route.method == "GET" && route.path == "/v1/admin/programme")) {
        continue;
      }
      INFO(route.method << " " << route.path);
      CHECK(h.call(route.method, route.path, route.body, maria, route.contentType).status == 403);
    }
    // The changes among them were audited as denied (GETs are not changes).
    CHECK(countAudit(h, "denied") == 7);
    CHECK(h.store.users().value().size() == 2);
  }
  SECTION("reads") {
    CHECK(h.call("GET", "/v1/admin/campaigns", "", maria).status == 200);
    CHECK(h.call("GET", "/v1/admin/campaigns/" + std::to_string(theirs), "", maria).status == 200);
    CHECK(h.call("GET", "/v1/admin/programme", "", maria).status == 200);
    CHECK(h.call("GET", "/v1/admin/coupons/conflicts", "", maria).status == 200);
  }
}

TEST_CASE("Admin API: an analyst reads everything and changes nothing", "[admin]") {
  AdminHarness h;
  const std::string root = h.rootToken();
  h.createCampaign(root, campaignJson("Existing", {}));
  const std::string ann = h.addUser("ann", "analyst");
  const size_t auditBefore = h.auditLog().size();
  size_t changes = 0;
  for (const Route& route : everyProtectedRoute()) {
    INFO(route.method << " " << route.path);
    const Reply r = h.call(route.method, route.path, route.body, ann, route.contentType);
    const bool preview = route.path.find("/preview") != std::string::npos;
    if (route.method == "GET" || preview) {
      INFO(r.body);
      CHECK(r.status == 200);
    } else {
      CHECK(r.status == 403);
      CHECK(r.code() == "forbidden");
      ++changes;
    }
  }
  // Every refused change is in the audit log; nothing else was written.
  CHECK(h.auditLog().size() == auditBefore + changes);
  CHECK(countAudit(h, "denied") == changes);
  for (const auto& e : h.auditLog()) {
    if (e.outcome == "denied") {
      CHECK(e.user == "ann");
    }
  }
  CHECK(h.store.campaigns().value().size() == 1);
  CHECK(h.store.campaigns().value()[0].name == "Existing");
  CHECK(h.store.users().value().size() == 2);
}

TEST_CASE("Admin API: invalid input changes nothing and audits nothing as ok", "[admin]") {
  AdminHarness h;
  const std::string root = h.rootToken();
  const int64_t id = h.createCampaign(root, campaignJson("Valid", {}));
  const std::string path = "/v1/admin/campaigns/" + std::to_string(id);
  const size_t okBefore = countAudit(h, "ok");
  const std::string programmeBefore = encodeProgramme(*h.programme.get());

  struct Bad {
    std::string method;
    std::string path;
    std::string body;
    std::string code;
  };
  for (const Bad& bad : std::vector<Bad>{
           {"POST", "/v1/admin/campaigns", campaignJson("X", {}, "", R"("colour":"red")"),
            "unknown_field"},
           {"POST", "/v1/admin/campaigns", campaignJson("X", {}, "", R"("validity_days":"7")"),
            "wrong_type"},
           {"POST", "/v1/admin/campaigns", campaignJson("X", {}, "", R"("validity_days":0)"),
            "value_out_of_range"},
           {"POST", "/v1/admin/campaigns", campaignJson("X", {}, "", R"("status":"ended")"),
            "invalid_state"},
           {"POST", "/v1/admin/campaigns", "{not json", "malformed_json"},
           {"PUT", path, campaignJson("X", {}, "", R"("cap_per_visit":-1)"), "value_out_of_range"},
           {"PUT", path, campaignJson("X", {}, "", R"("status":"active")"), "invalid_state"},
           {"PUT", path, campaignJson("X", {}, "", R"("id":999)"), "invalid_value"},
           {"PUT", "/v1/admin/campaigns/999", campaignJson("X", {}), "unknown_campaign"},
           {"PUT", "/v1/admin/campaigns/abc", campaignJson("X", {}), "invalid_value"},
           {"POST", path + "/status", R"({"status":"paused"})", "invalid_state"},
           {"POST", path + "/status", R"({"status":"asleep"})", "invalid_value"},
           {"POST", path + "/issue", R"({"cards":["9000000000019"]})", "invalid_state"},
           {"POST", path + "/issue", R"({"cards":["9000000000018"]})", "invalid_card"},
           {"POST", path + "/issue", R"({"cards":[]})", "value_out_of_range"},
           {"PUT", "/v1/admin/programme", R"({"expiry_months":"12"})", "wrong_type"},
           {"PUT", "/v1/admin/programme", R"({"clawback":"forgive"})", "invalid_value"},
           {"PUT", "/v1/admin/programme",
            R"({"earn":{"multipliers":[{"id":"x","scope":{"kind":"all"},"percent":5000}]}})", ""},
           {"POST", "/v1/admin/users", R"({"name":"bob","role":"analyst","password":"short"})",
            "invalid_value"},
           {"POST", "/v1/admin/users",
            R"({"name":"root","role":"analyst","password":"long-enough"})", "invalid_state"},
           {"PUT", "/v1/admin/users/nobody", R"({"disabled":true})", "not_found"},
       }) {
    INFO(bad.method << " " << bad.path << " " << bad.body);
    const Reply r = h.call(bad.method, bad.path, bad.body, root);
    INFO(r.body);
    CHECK(r.status >= 400);
    CHECK(r.status < 500);
    if (!bad.code.empty()) {
      CHECK(r.code() == bad.code);
    }
    CHECK(r.contentType == "application/problem+json");
  }
  CHECK(countAudit(h, "ok") == okBefore);
  CHECK(h.store.campaigns().value().size() == 1);
  CHECK(h.store.findCampaign(id).value()->name == "Valid");
  CHECK(encodeProgramme(*h.programme.get()) == programmeBefore);
  CHECK_FALSE(h.store.setting(domain::kProgrammeSetting).value().has_value());
  CHECK(h.store.users().value().size() == 1);
}

TEST_CASE("Admin API: a campaign update is audited with the record before and after", "[admin]") {
  AdminHarness h;
  const std::string root = h.rootToken();
  const int64_t id =
      h.createCampaign(root, campaignJson("Dairy week", {"S1"}, "", R"("validity_days":14)"));
  h.clock.advanceMs(1000);
  const Reply r =
      h.call("PUT", "/v1/admin/campaigns/" + std::to_string(id),
             campaignJson("Dairy fortnight", {"S1", "S2"}, "", R"("validity_days":21)"), root);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json.find("name")->asString() == "Dairy fortnight");

  const auto log = h.auditLog();
  REQUIRE(log.size() >= 2);
  const domain::AuditEntry& e = log[0];
  CHECK(e.action == "campaign.update");
  CHECK(e.outcome == "ok");
  CHECK(e.user == "root");
  CHECK(e.target == "campaign:" + std::to_string(id));
  CHECK(e.atMs == h.clock.nowMs());
  auto before = protocol::json::parse(e.before);
  auto after = protocol::json::parse(e.after);
  REQUIRE(before.ok());
  REQUIRE(after.ok());
  CHECK(before->find("name")->asString() == "Dairy week");
  CHECK(before->find("validity_days")->asInt() == 14);
  CHECK(before->find("stores")->items().size() == 1);
  CHECK(after->find("name")->asString() == "Dairy fortnight");
  CHECK(after->find("validity_days")->asInt() == 21);
  CHECK(after->find("stores")->items().size() == 2);
  CHECK(after->find("id")->asInt() == id);
  // The creation before it: no "before", the record as "after".
  CHECK(log[1].action == "campaign.create");
  CHECK(log[1].before.empty());
  CHECK(protocol::json::parse(log[1].after)->find("name")->asString() == "Dairy week");
  // The audit route shows the same entry with before/after as JSON objects.
  const Reply audit = h.call("GET", "/v1/admin/audit?limit=1", "", root);
  REQUIRE(audit.status == 200);
  const auto& entries = audit.json.find("entries")->items();
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].find("before")->find("name")->asString() == "Dairy week");
  CHECK(entries[0].find("after")->find("name")->asString() == "Dairy fortnight");
  CHECK(audit.json.find("next_before")->asInt() == entries[0].find("id")->asInt());
}

TEST_CASE("Admin API: the campaign book is reloaded after every change", "[admin]") {
  AdminHarness h;
  const std::string root = h.rootToken();
  CHECK(h.campaigns.all()->empty());
  const int64_t id = h.createCampaign(root, campaignJson("First", {}));
  REQUIRE(h.campaigns.all()->size() == 1);
  CHECK(h.campaigns.all()->at(0).status == domain::CampaignStatus::kDraft);
  REQUIRE(h.call("POST", "/v1/admin/campaigns/" + std::to_string(id) + "/status",
                 R"({"status":"active"})", root)
              .status == 200);
  CHECK(h.campaigns.all()->at(0).status == domain::CampaignStatus::kActive);
}

TEST_CASE("Admin API: the programme is stored, audited, and put in force", "[admin]") {
  AdminHarness h;
  const std::string root = h.rootToken();
  const std::string before = encodeProgramme(*h.programme.get());
  const std::string body =
      R"({"earn":{"base":{"pointsPerUnit":2,"unitMinor":100},"tiers":[{"name":"gold",)"
      R"("minRollingSpend":300000,"percent":150}]},"expiry_months":24,)"
      R"("clawback":"allow_negative"})";
  const Reply r = h.call("PUT", "/v1/admin/programme", body, root);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(h.programme.get()->expiryMonths == 24);
  CHECK(h.programme.get()->earn.base.pointsPerUnit == 2);
  CHECK(h.programme.get()->clawback == domain::ClawbackPolicy::kAllowNegative);
  CHECK(r.body == encodeProgramme(*h.programme.get()));
  CHECK(h.call("GET", "/v1/admin/programme", "", root).body == r.body);

  auto stored = loadStoredProgramme(h.store);
  REQUIRE(stored.ok());
  REQUIRE(stored.value().has_value());
  CHECK(encodeProgramme(*stored.value()) == r.body);

  const auto log = h.auditLog();
  CHECK(log[0].action == "programme.update");
  CHECK(log[0].target == "programme");
  CHECK(log[0].before == before);  // nothing stored yet: the programme in force
  CHECK(log[0].after == r.body);
}

TEST_CASE("Admin API: stored programme that does not decode is reported", "[admin]") {
  AdminHarness h;
  auto none = loadStoredProgramme(h.store);
  REQUIRE(none.ok());
  CHECK_FALSE(none.value().has_value());
  REQUIRE(h.store
              .write([](domain::StoreWriter& w) {
                return w.saveSetting(domain::kProgrammeSetting, R"({"clawback":7})", 1);
              })
              .ok());
  auto bad = loadStoredProgramme(h.store);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == base::ErrorCode::kInvalidValue);
  CHECK(bad.error().message.find("clawback") != std::string::npos);
}

TEST_CASE("Admin API: users are created, listed without hashes, changed and disabled", "[admin]") {
  AdminHarness h;
  const std::string root = h.rootToken();
  const std::string maria = h.addUser("maria", "store_manager", {"S1", "S2"});
  const Reply list = h.call("GET", "/v1/admin/users", "", root);
  REQUIRE(list.status == 200);
  CHECK(list.body.find("pbkdf2") == std::string::npos);
  const auto& users = list.json.find("users")->items();
  REQUIRE(users.size() == 2);
  CHECK(users[0].find("name")->asString() == "maria");
  CHECK(users[0].find("role")->asString() == "store_manager");
  CHECK(users[0].find("stores")->items().size() == 2);

  // A new password: the old one stops working at the next login.
  REQUIRE(h.call("PUT", "/v1/admin/users/maria", R"({"password":"new-password-1"})", root).status ==
          200);
  CHECK(
      h.call("POST", "/v1/admin/login", R"({"user":"maria","password":"maria-password"})").status ==
      401);
  CHECK_FALSE(h.login("maria", "new-password-1").empty());
  const auto log = h.auditLog();
  CHECK(log[0].action == "user.update");
  CHECK(log[0].after.find("\"password_changed\":true") != std::string::npos);
  CHECK(log[0].after.find("pbkdf2") == std::string::npos);

  // Disabled: their tokens stop working at once.
  CHECK(h.call("GET", "/v1/admin/campaigns", "", maria).status == 200);
  REQUIRE(h.call("PUT", "/v1/admin/users/maria", R"({"disabled":true})", root).status == 200);
  CHECK(h.call("GET", "/v1/admin/campaigns", "", maria).status == 401);
  // A role without stores drops them; a store manager without stores is refused.
  CHECK(h.call("PUT", "/v1/admin/users/maria", R"({"stores":[]})", root).code() == "invalid_value");
  const Reply analyst = h.call("PUT", "/v1/admin/users/maria", R"({"role":"analyst"})", root);
  REQUIRE(analyst.status == 200);
  CHECK(analyst.json.find("stores")->items().empty());
  // Nobody locks themselves out.
  CHECK(h.call("PUT", "/v1/admin/users/root", R"({"disabled":true})", root).code() ==
        "invalid_state");
  CHECK(h.call("PUT", "/v1/admin/users/root", R"({"role":"analyst"})", root).code() ==
        "invalid_state");
}

TEST_CASE("Admin API: issuing needs a signing key", "[admin]") {
  AdminHarness h(/*withIssuer=*/false);
  const std::string root = h.rootToken();
  const int64_t id = h.createCampaign(root, campaignJson("No key", {}, "", R"("status":"active")"));
  const Reply r = h.call("POST", "/v1/admin/campaigns/" + std::to_string(id) + "/issue",
                         R"({"cards":["9000000000019"]})", root);
  CHECK(r.status == 503);
  CHECK(r.code() == "coupons_not_configured");
  CHECK(h.store.findCampaign(id).value()->issuedCount == 0);
}

TEST_CASE("Admin API: issuing past the count budget issues nothing", "[admin]") {
  AdminHarness h;
  const std::string root = h.rootToken();
  const int64_t id = h.createCampaign(
      root, campaignJson("Small", {}, "", R"("status":"active","budget_count":1)"));
  const Reply r = h.call("POST", "/v1/admin/campaigns/" + std::to_string(id) + "/issue",
                         R"({"cards":["9000000000019","9000000000027"]})", root);
  CHECK(r.status == 409);
  CHECK(r.code() == "budget_exhausted");
  CHECK(h.store.findCampaign(id).value()->issuedCount == 0);
  CHECK(countAudit(h, "ok", "campaign.issue") == 0);
}

TEST_CASE("Admin API: coupon conflicts list the double uses with the card", "[admin]") {
  AdminHarness h;
  const std::string root = h.rootToken();
  const int64_t id = h.createCampaign(root, campaignJson("C", {}, "", R"("status":"active")"));
  const Reply issued = h.call("POST", "/v1/admin/campaigns/" + std::to_string(id) + "/issue",
                              R"({"cards":["9000000000019"]})", root);
  REQUIRE(issued.status == 200);
  const int64_t serial = issued.json.find("coupons")->items()[0].find("serial")->asInt();
  auto customer = h.store.findCustomer("9000000000019").value();
  REQUIRE(customer.has_value());
  REQUIRE(h.store
              .write([&](domain::StoreWriter& w) -> base::Status {
                domain::Sale sale;
                sale.key = {"S1", "T1", "2023-11-14", "41"};
                sale.customerId = customer->id;
                sale.createdAtMs = 5;
                auto saleId = w.insertSale(sale);
                if (!saleId.ok()) {
                  return saleId.error();
                }
                domain::Redemption r;
                r.serial = static_cast<uint64_t>(serial);
                r.campaignId = id;
                r.customerId = customer->id;
                r.saleId = saleId.value();
                r.discount = base::Money(150);
                r.offline = true;
                r.conflict = "double_use";
                r.createdAtMs = 5;
                auto inserted = w.insertRedemption(r);
                if (!inserted.ok()) {
                  return inserted.error();
                }
                return base::okStatus();
              })
              .ok());
  const Reply r = h.call("GET", "/v1/admin/coupons/conflicts?limit=10", "", root);
  INFO(r.body);
  REQUIRE(r.status == 200);
  const auto& conflicts = r.json.find("conflicts")->items();
  REQUIRE(conflicts.size() == 1);
  CHECK(conflicts[0].find("serial")->asInt() == serial);
  CHECK(conflicts[0].find("campaign")->asInt() == id);
  CHECK(conflicts[0].find("card")->asString() == "9000000000019");
  CHECK(conflicts[0].find("sale")->asInt() > 0);
  CHECK(conflicts[0].find("discount")->asInt() == 150);
  CHECK(conflicts[0].find("conflict")->asString() == "double_use");
  CHECK(conflicts[0].find("offline")->asBool());
  CHECK(h.call("GET", "/v1/admin/coupons/conflicts?limit=0", "", root).code() ==
        "value_out_of_range");
}

TEST_CASE("Admin API: points expiry runs with the programme in force and is audited", "[admin]") {
  AdminHarness h;
  const std::string root = h.rootToken();
  const Reply r = h.call("POST", "/v1/admin/points/expire", "", root);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json.find("points_expired")->asInt() == 0);  // expiry_months 0: nothing expires
  CHECK(h.auditLog()[0].action == "points.expire");
  CHECK(h.call("POST", "/v1/admin/points/expire", R"({"dry_run":true})", root).code() ==
        "unknown_field");
}

TEST_CASE("Admin API: the audit log pages newest first", "[admin]") {
  AdminHarness h;
  const std::string root = h.rootToken();
  for (int i = 0; i < 4; ++i) {
    h.createCampaign(root, campaignJson("C" + std::to_string(i), {}));
  }
  // 1 bootstrap + 4 creations.
  const Reply first = h.call("GET", "/v1/admin/audit?limit=3", "", root);
  REQUIRE(first.status == 200);
  const auto& page1 = first.json.find("entries")->items();
  REQUIRE(page1.size() == 3);
  CHECK(page1[0].find("target")->asString() == "campaign:4");
  CHECK(page1[0].find("id")->asInt() > page1[1].find("id")->asInt());
  const int64_t next = first.json.find("next_before")->asInt();
  const Reply second =
      h.call("GET", "/v1/admin/audit?limit=3&before=" + std::to_string(next), "", root);
  const auto& page2 = second.json.find("entries")->items();
  REQUIRE(page2.size() == 2);
  CHECK(page2[1].find("action")->asString() == "user.bootstrap");
  CHECK(second.json.find("next_before") == nullptr);
  CHECK(h.call("GET", "/v1/admin/audit?limit=501", "", root).code() == "value_out_of_range");
  CHECK(h.call("GET", "/v1/admin/audit?before=x", "", root).code() == "invalid_value");
}

TEST_CASE("Admin API: catalogue and history imports keep their behaviour, HQ admin only",
          "[admin]") {
  AdminHarness h;
  const std::string root = h.rootToken();
  const std::string csv =
      "sku,name,category_path,brand\nP1,Milk,dairy/milk,Moo\nP2,Bread,bakery,\n";
  const Reply imported = h.call("PUT", "/v1/admin/catalogue", csv, root, "text/csv");
  INFO(imported.body);
  REQUIRE(imported.status == 200);
  CHECK(imported.body == R"({"imported":2})");
  CHECK(h.catalogue.size() == 2);
  CHECK(h.call("PUT", "/v1/admin/catalogue", csv, root, "application/json").status == 415);
  CHECK(h.call("PUT", "/v1/admin/catalogue", "sku,name\nP1\n", root, "text/csv").code() ==
        "invalid_csv");
  CHECK(h.auditLog()[0].action == "catalogue.import");

  const std::string history = "customer_id,basket_key,item_id\n1,b1,7\n1,b1,8\n2,b2,7\n";
  const Reply baskets =
      h.call("POST", "/v1/admin/history?sku_prefix=TF", history, root, "text/csv");
  INFO(baskets.body);
  REQUIRE(baskets.status == 200);
  CHECK(baskets.body == R"({"imported_baskets":2,"skipped_existing":0})");
  const Reply again = h.call("POST", "/v1/admin/history", history, root, "text/csv");
  CHECK(again.body == R"({"imported_baskets":0,"skipped_existing":2})");
  CHECK(h.store.findCustomer(protocol::cardForCustomerNumber(2)).value().has_value());
  CHECK(h.auditLog()[0].action == "history.import");
}

}  // namespace
}  // namespace loyalty::core::admin
