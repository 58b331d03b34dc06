#include "admin/auth.h"

#include <algorithm>
#include <cctype>

#include "admin/passwords.h"

namespace loyalty::core::admin {
namespace {

using base::ErrorCode;
using domain::Role;

constexpr const char* kWrongLogin = "wrong user name or password";

base::Error unauthorized(const std::string& message) {
  return base::makeError(ErrorCode::kUnauthorized, message);
}

base::Error forbidden(const std::string& message) {
  return base::makeError(ErrorCode::kForbidden, message);
}

// A well-formed hash that matches no password, with the iterations of real hashes, so that a
// login for an unknown user costs what a real check costs.
std::string decoyHash(int64_t iterations) {
  iterations = std::clamp(iterations, kMinPasswordIterations, kMaxPasswordIterations);
  return "pbkdf2-sha256$" + std::to_string(iterations) + "$" + std::string(2 * kSaltBytes, '0') +
         "$" + std::string(2 * kPasswordHashBytes, '0');
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

base::Result<LoginResult> login(domain::LoyaltyStore& store, const std::string& user,
                                const std::string& password, const AdminOptions& options,
                                int64_t nowMs) {
  auto found = store.findUser(user);
  if (!found.ok()) {
    return found.error();
  }
  const std::optional<domain::User>& u = found.value();
  const bool known = u.has_value() && !u->disabled;
  // Always run one PBKDF2, so the time does not tell whether the user exists.
  const bool matches =
      verifyPassword(password, known ? u->passwordHash : decoyHash(options.passwordIterations));
  if (!known || !matches) {
    return unauthorized(kWrongLogin);
  }
  auto token = newToken();
  if (!token.ok()) {
    return token.error();
  }
  const int64_t minutes = std::clamp(options.tokenMinutes, kMinTokenMinutes, kMaxTokenMinutes);
  LoginResult result;
  result.token = std::move(token).value();
  result.expiresAtMs = nowMs + minutes * 60'000;
  result.user = *u;
  result.user.passwordHash.clear();
  domain::Token stored;
  stored.hash = tokenHash(result.token);
  stored.user = u->name;
  stored.expiresAtMs = result.expiresAtMs;
  auto written = store.write([&](domain::StoreWriter& w) { return w.insertToken(stored); });
  if (!written.ok()) {
    return written.error();
  }
  return result;
}

base::Result<domain::User> authenticate(domain::LoyaltyStore& store, std::string_view authorization,
                                        int64_t nowMs) {
  if (authorization.empty()) {
    return unauthorized(
        "this endpoint needs \"Authorization: Bearer <token>\" (POST /v1/admin/login)");
  }
  const size_t space = authorization.find(' ');
  if (space == std::string_view::npos ||
      !equalsIgnoringCase(authorization.substr(0, space), "Bearer")) {
    return unauthorized("the Authorization header must be \"Bearer <token>\"");
  }
  std::string_view token = authorization.substr(space + 1);
  while (!token.empty() && token.front() == ' ') {
    token.remove_prefix(1);
  }
  while (!token.empty() && token.back() == ' ') {
    token.remove_suffix(1);
  }
  if (!looksLikeToken(token)) {
    return unauthorized("unknown or expired token");
  }
  auto found = store.findToken(tokenHash(token));
  if (!found.ok()) {
    return found.error();
  }
  if (!found.value() || found.value()->expiresAtMs <= nowMs) {
    return unauthorized("unknown or expired token");
  }
  auto user = store.findUser(found.value()->user);
  if (!user.ok()) {
    return user.error();
  }
  if (!user.value() || user.value()->disabled) {
    return unauthorized("unknown or expired token");
  }
  domain::User out = std::move(*user.value());
  out.passwordHash.clear();
  return out;
}

base::Status requireRole(const domain::User& user, std::initializer_list<Role> roles,
                         const std::string& what) {
  if (std::find(roles.begin(), roles.end(), user.role) != roles.end()) {
    return base::okStatus();
  }
  return forbidden(std::string("a ") + domain::roleName(user.role) + " may not " + what);
}

bool ownsStore(const domain::User& user, const std::string& store) {
  return std::find(user.stores.begin(), user.stores.end(), store) != user.stores.end();
}

base::Status requireCampaignScope(const domain::User& user, const domain::Campaign& campaign,
                                  bool change) {
  switch (user.role) {
    case Role::kHqAdmin:
      return base::okStatus();
    case Role::kAnalyst:
      if (change) {
        return forbidden("an analyst may only read");
      }
      return base::okStatus();
    case Role::kStoreManager:
      break;
  }
  if (!ownsStore(user, campaign.ownerStore)) {
    return forbidden(campaign.ownerStore.empty()
                         ? std::string("the campaign is chain-wide (no owner store)")
                         : "the campaign belongs to store " + campaign.ownerStore +
                               ", not one of your stores");
  }
  if (campaign.stores.empty()) {
    return forbidden(
        "a store manager's campaign must name its stores (an empty list means "
        "every store)");
  }
  for (const std::string& store : campaign.stores) {
    if (!ownsStore(user, store)) {
      return forbidden("store " + store + " is not one of your stores");
    }
  }
  return base::okStatus();
}

base::Status recordDenied(domain::LoyaltyStore& store, const std::string& user,
                          const std::string& action, const std::string& target, int64_t nowMs) {
  domain::AuditEntry entry;
  entry.atMs = nowMs;
  entry.user = user;
  entry.action = action;
  entry.target = target;
  entry.outcome = "denied";
  return store.write([&](domain::StoreWriter& w) -> base::Status {
    auto id = w.appendAudit(entry);
    if (!id.ok()) {
      return id.error();
    }
    return base::okStatus();
  });
}

}  // namespace loyalty::core::admin
