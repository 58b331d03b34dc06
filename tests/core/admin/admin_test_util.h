// AdminHarness: the admin routes on an in-process Router over an InMemoryStore, a ManualClock and
// a fake coupon issuer, with an HQ admin "root" created as on a first start. call() dispatches a
// request as the HTTP adapter would (path and query split, headers as Request fields).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "admin/admin_api.h"
#include "domain/checkout_service.h"
#include "http/router.h"
#include "loyalty/protocol/json.h"
#include "storage/memory/memory_store.h"
#include "support/manual_clock.h"

namespace loyalty::core::admin {

inline constexpr const char* kRootPassword = "root-password";

// Signs nothing: the code names the claims, so tests can read them back.
class FakeIssuer final : public domain::CouponIssuer {
 public:
  base::Result<std::string> sign(const domain::CodeClaims& claims) const override;
};

struct Reply {
  int status = 0;
  std::string body;
  std::string contentType;
  std::vector<std::pair<std::string, std::string>> headers;
  protocol::json::Value json;  // the parsed body (null when it does not parse)
  std::string code() const;    // the problem+json "code", or ""
};

class AdminHarness {
 public:
  explicit AdminHarness(bool withIssuer = true);
  AdminHarness(const AdminHarness&) = delete;
  AdminHarness& operator=(const AdminHarness&) = delete;

  Reply call(const std::string& method, const std::string& target, const std::string& body = "",
             const std::string& token = "", const std::string& contentType = "application/json");
  // Logs in; REQUIREs success.
  std::string login(const std::string& user, const std::string& password);
  std::string rootToken();
  // Creates a user through the API as root and logs them in; returns their token.
  std::string addUser(const std::string& name, const std::string& role,
                      const std::vector<std::string>& stores = {});
  // Creates a campaign through the API; REQUIREs 201; returns its id.
  int64_t createCampaign(const std::string& token, const std::string& json);

  std::vector<domain::AuditEntry> auditLog();  // newest first

  testing::ManualClock clock;
  storage::InMemoryStore store;
  domain::Catalogue catalogue;
  domain::ProgrammeHolder programme{domain::Programme()};
  domain::CampaignBook campaigns;
  FakeIssuer issuer;
  std::unique_ptr<domain::CheckoutService> checkout;
  std::unique_ptr<AdminContext> context;
  http::Router router;

 private:
  std::string rootToken_;
};

// A campaign body: manual amount-off, with the given stores and owner (omitted when empty).
std::string campaignJson(const std::string& name, const std::vector<std::string>& stores,
                         const std::string& ownerStore = "", const std::string& extra = "");

}  // namespace loyalty::core::admin
