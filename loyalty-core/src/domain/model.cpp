#include "domain/model.h"

namespace loyalty::core::domain {

const char* ledgerKindName(LedgerKind kind) {
  switch (kind) {
    case LedgerKind::kEarn:
      return "earn";
    case LedgerKind::kRefund:
      return "refund";
    case LedgerKind::kAdjustment:
      return "adjustment";
    case LedgerKind::kExpiry:
      return "expiry";
    case LedgerKind::kRedeem:
      return "redeem";
    case LedgerKind::kOffset:
      return "offset";
  }
  return "unknown";
}

namespace {

// The name of each enumerator, in enumerator order; parse is the reverse lookup.
template <typename Enum, size_t N>
std::optional<Enum> parseByName(const char* const (&names)[N], const std::string& name) {
  for (size_t i = 0; i < N; ++i) {
    if (name == names[i]) {
      return static_cast<Enum>(i);
    }
  }
  return std::nullopt;
}

const char* const kCampaignStatusNames[] = {"draft", "active", "paused", "ended"};
const char* const kIssuanceKindNames[] = {"manual", "checkout_trigger", "personalized"};
const char* const kCouponStateNames[] = {"issued", "redeemed", "void", "control"};
const char* const kRoleNames[] = {"hq_admin", "store_manager", "analyst"};

}  // namespace

const char* campaignStatusName(CampaignStatus status) {
  return kCampaignStatusNames[static_cast<size_t>(status)];
}
std::optional<CampaignStatus> parseCampaignStatus(const std::string& name) {
  return parseByName<CampaignStatus>(kCampaignStatusNames, name);
}
const char* issuanceKindName(IssuanceKind kind) {
  return kIssuanceKindNames[static_cast<size_t>(kind)];
}
std::optional<IssuanceKind> parseIssuanceKind(const std::string& name) {
  return parseByName<IssuanceKind>(kIssuanceKindNames, name);
}
const char* couponStateName(CouponState state) {
  return kCouponStateNames[static_cast<size_t>(state)];
}
const char* roleName(Role role) { return kRoleNames[static_cast<size_t>(role)]; }
std::optional<Role> parseRole(const std::string& name) {
  return parseByName<Role>(kRoleNames, name);
}

}  // namespace loyalty::core::domain
