// Executes docs/admin-api.md: every `<!-- admin-example: Kind -->` block decodes with the admin
// API's own decoder (requests) or has exactly the fields its encoder writes (answers), and every
// route of the "Routes" table is registered on the router.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "admin/admin_api.h"
#include "admin/admin_json.h"
#include "core/admin/admin_test_util.h"

#ifndef LOYALTY_DOCS_DIR
#error "LOYALTY_DOCS_DIR must name the docs directory"
#endif

namespace loyalty::core::admin {
namespace {

using protocol::json::Value;

std::string readDoc() {
  std::ifstream in(std::string(LOYALTY_DOCS_DIR) + "/admin-api.md", std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Example {
  std::string kind;
  std::string json;
  size_t line = 0;
};

std::vector<Example> examples(const std::string& doc) {
  std::vector<Example> out;
  std::istringstream in(doc);
  std::string line;
  size_t number = 0;
  std::string pending;  // kind named by the last marker
  bool inBlock = false;
  while (std::getline(in, line)) {
    ++number;
    const std::string marker = "<!-- admin-example: ";
    if (!inBlock && line.rfind(marker, 0) == 0) {
      pending = line.substr(marker.size(), line.find(" -->") - marker.size());
      continue;
    }
    if (!inBlock && line == "```json" && !pending.empty()) {
      out.push_back(Example{pending, "", number});
      pending.clear();
      inBlock = true;
      continue;
    }
    if (inBlock && line == "```") {
      inBlock = false;
      continue;
    }
    if (inBlock) {
      out.back().json += line + "\n";
    }
  }
  CHECK_FALSE(inBlock);
  return out;
}

std::vector<std::string> keysOf(const Value& v) {
  std::vector<std::string> keys;
  for (const auto& m : v.members()) {
    keys.push_back(m.first);
  }
  return keys;
}

std::vector<std::string> keysOf(const std::string& json) {
  auto v = protocol::json::parse(json);
  REQUIRE(v.ok());
  return keysOf(v.value());
}

TEST_CASE("Admin doc: every example decodes or matches the encoder's fields", "[admin]") {
  const auto all = examples(readDoc());
  std::set<std::string> kinds;
  for (const Example& ex : all) {
    INFO("docs/admin-api.md line " << ex.line << ": " << ex.kind);
    kinds.insert(ex.kind);
    auto parsed = parseBody(ex.json, 1 << 20);
    INFO((parsed.ok() ? std::string() : parsed.error().message));
    REQUIRE(parsed.ok());
    const Value& v = parsed.value();
    if (ex.kind == "Programme") {
      auto p = decodeProgramme(ex.json);
      INFO((p.ok() ? std::string() : p.error().message));
      CHECK(p.ok());
    } else if (ex.kind == "Campaign") {
      auto c = decodeCampaign(v, "");
      INFO((c.ok() ? std::string() : c.error().message));
      REQUIRE(c.ok());
      auto valid = domain::validateCampaign(c->campaign);
      INFO((valid.ok() ? std::string() : valid.error().message));
      CHECK(valid.ok());
      if (v.find("id") != nullptr) {  // a full answer: exactly the encoder's fields
        domain::Campaign shown = c->campaign;
        CHECK(keysOf(v) == keysOf(encodeCampaign(shown)));
      }
    } else if (ex.kind == "NewUser") {
      auto u = decodeNewUser(v);
      INFO((u.ok() ? std::string() : u.error().message));
      CHECK(u.ok());
    } else if (ex.kind == "UserChange") {
      CHECK(decodeUserChange(v).ok());
    } else if (ex.kind == "User") {
      CHECK(keysOf(v) == keysOf(encodeUser(domain::User())));
    } else if (ex.kind == "LoginAnswer") {
      CHECK(keysOf(v) == keysOf(encodeLoginAnswer("t", 1, domain::User())));
    } else if (ex.kind == "PreviewReport") {
      CHECK(keysOf(v) == keysOf(encodePreviewReport(domain::PreviewReport())));
    } else if (ex.kind == "ExpiryReport") {
      CHECK(keysOf(v) == keysOf(encodeExpiryReport(domain::ExpiryReport())));
    } else if (ex.kind == "Conflicts") {
      ConflictRow row;
      row.card = "9000000000019";
      const auto want =
          keysOf(protocol::json::parse(encodeConflicts({row}))->find("conflicts")->items()[0]);
      REQUIRE(!v.find("conflicts")->items().empty());
      CHECK(keysOf(v.find("conflicts")->items()[0]) == want);
    } else if (ex.kind == "IssuedCoupons") {
      domain::IssuedCoupon issued;
      const auto want =
          keysOf(protocol::json::parse(encodeIssuedCoupons({issued}))->find("coupons")->items()[0]);
      CHECK(keysOf(v.find("coupons")->items()[0]) == want);
    } else if (ex.kind == "AuditPage") {
      CHECK(keysOf(v) == keysOf(encodeAuditPage({domain::AuditEntry()}, 1)));
      for (const Value& e : v.find("entries")->items()) {
        CHECK(keysOf(e) == keysOf(encodeAuditEntry(domain::AuditEntry())));
      }
    } else {
      FAIL("unknown example kind " << ex.kind);
    }
  }
  for (const char* kind :
       {"Programme", "Campaign", "User", "NewUser", "UserChange", "LoginAnswer", "PreviewReport",
        "ExpiryReport", "Conflicts", "IssuedCoupons", "AuditPage"}) {
    INFO("no example of " << kind);
    CHECK(kinds.count(kind) == 1);
  }
}

TEST_CASE("Admin doc: every route in the table exists", "[admin]") {
  const std::string doc = readDoc();
  const size_t start = doc.find("\n## Routes\n");
  REQUIRE(start != std::string::npos);
  const size_t end = doc.find("\n## ", start + 1);
  std::istringstream in(doc.substr(start, end - start));
  std::string line;
  AdminHarness h;
  size_t routes = 0;
  while (std::getline(in, line)) {
    // | `METHOD /path[?query]` | ...
    if (line.rfind("| `", 0) != 0) {
      continue;
    }
    const std::string cell = line.substr(3, line.find('`', 3) - 3);
    const size_t space = cell.find(' ');
    if (space == std::string::npos) {
      continue;
    }
    const std::string method = cell.substr(0, space);
    std::string path = cell.substr(space + 1, cell.find('[') - space - 1);
    for (const auto& [param, value] :
         std::map<std::string, std::string>{{"{id}", "1"}, {"{name}", "root"}}) {
      if (const size_t at = path.find(param); at != std::string::npos) {
        path.replace(at, param.size(), value);
      }
    }
    INFO(method << " " << path);
    const Reply r = h.call(method, path, "{}");
    CHECK(r.code() != "not_found");
    CHECK(r.code() != "method_not_allowed");
    CHECK((r.status == 401 || path == "/v1/admin/login"));
    ++routes;
  }
  CHECK(routes == 19);
}

}  // namespace
}  // namespace loyalty::core::admin
