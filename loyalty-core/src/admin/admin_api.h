// The admin API (docs/admin-api.md): REST + JSON under /v1/admin for HQ admins, store managers
// and analysts. Every route but POST /v1/admin/login needs "Authorization: Bearer <token>".
// Handlers are thin: they authenticate, check the role and store scope, decode JSON, call the
// domain (domain/offers/*.h, CheckoutService) inside one LoyaltyStore::write() together with the
// audit entry, and encode the answer. Refused attempts to change something (403) are audited too.
//
// Thread safety: handlers may run concurrently; everything they share is thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "domain/checkout_service.h"
#include "domain/clock.h"
#include "domain/offers/campaigns.h"
#include "domain/offers/coupon_keys.h"
#include "domain/offers/programme.h"
#include "domain/store.h"
#include "http/router.h"
#include "loyalty/base/result.h"

namespace loyalty::core::admin {

struct AdminOptions {
  int64_t tokenMinutes = 480;            // 1..10,080: lifetime of a login token
  int64_t passwordIterations = 100'000;  // PBKDF2-HMAC-SHA256 iterations for new passwords
};

// What the admin handlers work on; everything must outlive the router.
struct AdminContext {
  domain::LoyaltyStore& store;
  domain::CheckoutService& checkout;   // catalogue and history import
  const domain::Catalogue& catalogue;  // previews
  domain::ProgrammeHolder& programme;  // replaced after a programme change is stored
  domain::CampaignBook& campaigns;     // reloaded after every campaign change
  const domain::CouponIssuer* issuer;  // nullptr when the core has no signing key
  const domain::Clock& clock;
  AdminOptions options;
};

// Registers every /v1/admin route (including PUT /v1/admin/catalogue and POST
// /v1/admin/history, HQ admin only).
void addAdminRoutes(http::Router& router, AdminContext& context);

// Creates the HQ admin `name` with `password` when the store has no user at all (first start);
// does nothing otherwise. Errors: kInvalidValue (empty name or password shorter than 8), the
// store's.
base::Status ensureBootstrapUser(domain::LoyaltyStore& store, const std::string& name,
                                 const std::string& password, const AdminOptions& options,
                                 int64_t nowMs);

// The programme stored as the "programme" setting, decoded; nullopt when none is stored.
// Errors: kInvalidValue when the stored text does not decode (the message says where).
base::Result<std::optional<domain::Programme>> loadStoredProgramme(domain::LoyaltyStore& store);

// The JSON form of a programme (docs/admin-api.md) and back; decode also validates.
std::string encodeProgramme(const domain::Programme& programme);
base::Result<domain::Programme> decodeProgramme(std::string_view json);

}  // namespace loyalty::core::admin
