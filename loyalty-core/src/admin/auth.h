// Authentication and authorization of the admin API (docs/admin-api.md, "Roles").
//
//   login          user name + password -> a new bearer token (stored as its hash) with an expiry
//   authenticate   "Authorization: Bearer <token>" -> the user; unknown, expired, malformed or a
//                  disabled user's token is kUnauthorized (401)
//   roles          hq_admin may do everything; store_manager may read campaigns, the programme and
//                  the coupon conflicts, and create, change, issue and preview a campaign only when
//                  its owner store and every store it names are theirs; analyst may read
//                  everything and preview, and change nothing. Refusals are kForbidden (403).
//   denied audit   recordDenied() stores the refused attempt (outcome "denied") in its own write.
//
// Thread safety: re-entrant; the store is thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "admin/admin_api.h"
#include "domain/model.h"
#include "domain/store.h"
#include "loyalty/base/result.h"

namespace loyalty::core::admin {

inline constexpr int64_t kMinTokenMinutes = 1;
inline constexpr int64_t kMaxTokenMinutes = 10'080;

struct LoginResult {
  std::string token;  // given to the user once; never stored
  int64_t expiresAtMs = 0;
  domain::User user;
};

// Checks the password and stores a new token (tokenMinutes from now, clamped to 1..10,080).
// Errors: kUnauthorized "wrong user name or password" for an unknown user, a wrong password or a
// disabled user (the same answer and about the same time for each); the store's.
base::Result<LoginResult> login(domain::LoyaltyStore& store, const std::string& user,
                                const std::string& password, const AdminOptions& options,
                                int64_t nowMs);

// The user of a request's Authorization header. Errors: kUnauthorized; the store's.
base::Result<domain::User> authenticate(domain::LoyaltyStore& store, std::string_view authorization,
                                        int64_t nowMs);

// kForbidden unless user has one of the roles; `what` names the operation in the message.
base::Status requireRole(const domain::User& user, std::initializer_list<domain::Role> roles,
                         const std::string& what);

// May the user create, change, issue or preview this campaign? hq_admin: yes. store_manager:
// only when campaign.stores is not empty and it and campaign.ownerStore are all theirs.
// analyst: no. Errors: kForbidden naming the reason.
base::Status requireCampaignScope(const domain::User& user, const domain::Campaign& campaign,
                                  bool change);

// True when store is one of the user's stores.
bool ownsStore(const domain::User& user, const std::string& store);

// Appends an audit entry with outcome "denied" in its own write. Errors: the store's.
base::Status recordDenied(domain::LoyaltyStore& store, const std::string& user,
                          const std::string& action, const std::string& target, int64_t nowMs);

}  // namespace loyalty::core::admin
