#include "core/admin/admin_test_util.h"

#include <catch2/catch.hpp>

namespace loyalty::core::admin {

base::Result<std::string> FakeIssuer::sign(const domain::CodeClaims& claims) const {
  return "TEST-" + std::to_string(claims.serial) + "-" + claims.card + "-" +
         std::to_string(claims.campaignId) + "-" + claims.expires;
}

std::string Reply::code() const {
  if (!json.isObject()) {
    return "";
  }
  const protocol::json::Value* c = json.find("code");
  return c != nullptr && c->isString() ? c->asString() : "";
}

AdminHarness::AdminHarness(bool withIssuer) {
  domain::CheckoutDeps deps{store, catalogue, clock, programme, campaigns, &issuer, nullptr};
  checkout = std::make_unique<domain::CheckoutService>(deps);
  AdminOptions options;
  options.passwordIterations = 1'000;
  options.tokenMinutes = 60;
  context =
      std::make_unique<AdminContext>(AdminContext{store, *checkout, catalogue, programme, campaigns,
                                                  withIssuer ? &issuer : nullptr, clock, options});
  addAdminRoutes(router, *context);
  REQUIRE(ensureBootstrapUser(store, "root", kRootPassword, options, clock.nowMs()).ok());
}

Reply AdminHarness::call(const std::string& method, const std::string& target,
                         const std::string& body, const std::string& token,
                         const std::string& contentType) {
  http::Request req;
  req.method = method;
  const size_t q = target.find('?');
  req.path = target.substr(0, q);
  req.query = q == std::string::npos ? std::string() : target.substr(q + 1);
  req.body = body;
  req.contentType = body.empty() ? std::string() : contentType;
  req.requestId = "test";
  if (!token.empty()) {
    req.authorization = "Bearer " + token;
  }
  const http::Response res = router.dispatch(req);
  Reply r;
  r.status = res.status;
  r.body = res.body;
  r.contentType = res.contentType;
  r.headers = res.headers;
  auto parsed = protocol::json::parse(res.body);
  if (parsed.ok()) {
    r.json = std::move(parsed).value();
  }
  return r;
}

std::string AdminHarness::login(const std::string& user, const std::string& password) {
  const Reply r = call("POST", "/v1/admin/login",
                       R"({"user":")" + user + R"(","password":")" + password + R"("})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  REQUIRE(r.json.find("token") != nullptr);
  return r.json.find("token")->asString();
}

std::string AdminHarness::rootToken() {
  if (rootToken_.empty()) {
    rootToken_ = login("root", kRootPassword);
  }
  return rootToken_;
}

std::string AdminHarness::addUser(const std::string& name, const std::string& role,
                                  const std::vector<std::string>& stores) {
  std::string list;
  for (const auto& s : stores) {
    list += (list.empty() ? "\"" : ",\"") + s + "\"";
  }
  const std::string password = name + "-password";
  const Reply r = call("POST", "/v1/admin/users",
                       R"({"name":")" + name + R"(","role":")" + role + R"(","stores":[)" + list +
                           R"(],"password":")" + password + R"("})",
                       rootToken());
  INFO(r.body);
  REQUIRE(r.status == 201);
  return login(name, password);
}

int64_t AdminHarness::createCampaign(const std::string& token, const std::string& json) {
  const Reply r = call("POST", "/v1/admin/campaigns", json, token);
  INFO(r.body);
  REQUIRE(r.status == 201);
  return r.json.find("id")->asInt();
}

std::vector<domain::AuditEntry> AdminHarness::auditLog() {
  auto entries = store.audit(0, 1000);
  REQUIRE(entries.ok());
  return entries.value();
}

std::string campaignJson(const std::string& name, const std::vector<std::string>& stores,
                         const std::string& ownerStore, const std::string& extra) {
  std::string list;
  for (const auto& s : stores) {
    list += (list.empty() ? "\"" : ",\"") + s + "\"";
  }
  std::string json =
      R"({"name":")" + name +
      R"(","reward":{"kind":"amount_off","target":"sku","value":"P12","amount":150},)"
      R"("stores":[)" +
      list + "]";
  if (!ownerStore.empty()) {
    json += R"(,"owner_store":")" + ownerStore + "\"";
  }
  if (!extra.empty()) {
    json += "," + extra;
  }
  return json + "}";
}

}  // namespace loyalty::core::admin
