#include "domain/offers/programme.h"

#include "loyalty/base/error_code.h"

namespace loyalty::core::domain {
namespace {

using base::ErrorCode;
using base::makeError;

constexpr int64_t kMaxTenderUnitPoints = 1'000'000;
constexpr int64_t kMaxTenderUnitValue = 1'000'000;
constexpr int64_t kMaxTenderMinPoints = 1'000'000'000;

base::Status outOfRange(const std::string& field, int64_t lo, int64_t hi) {
  return makeError(ErrorCode::kValueOutOfRange, field + ": must be " + std::to_string(lo) +
                                                    ".." + std::to_string(hi));
}

}  // namespace

const char* clawbackPolicyName(ClawbackPolicy policy) {
  return policy == ClawbackPolicy::kAllowNegative ? "allow_negative" : "offset";
}

std::optional<ClawbackPolicy> parseClawbackPolicy(std::string_view name) {
  if (name == "allow_negative") {
    return ClawbackPolicy::kAllowNegative;
  }
  if (name == "offset") {
    return ClawbackPolicy::kOffset;
  }
  return std::nullopt;
}

base::Status validate(const Programme& p) {
  if (base::Status s = rules::validate(p.earn); !s.ok()) {
    return s;
  }
  const PointsTender& t = p.tender;
  if (t.unitPoints < 0 || t.unitPoints > kMaxTenderUnitPoints) {
    return outOfRange("tender.unit_points", 0, kMaxTenderUnitPoints);
  }
  if (t.unitValue.value() < 1 || t.unitValue.value() > kMaxTenderUnitValue) {
    return outOfRange("tender.unit_value", 1, kMaxTenderUnitValue);
  }
  if (t.minPoints < 0 || t.minPoints > kMaxTenderMinPoints) {
    return outOfRange("tender.min_points", 0, kMaxTenderMinPoints);
  }
  if (t.unitPoints > 0 && t.minPoints % t.unitPoints != 0) {
    return makeError(ErrorCode::kInvalidValue,
                     "tender.min_points: must be a multiple of tender.unit_points");
  }
  if (p.expiryMonths < 0 || p.expiryMonths > 120) {
    return outOfRange("expiry_months", 0, 120);
  }
  if (p.reservationSeconds < 10 || p.reservationSeconds > 86'400) {
    return outOfRange("reservation_seconds", 10, 86'400);
  }
  if (p.rollingSpendDays < 1 || p.rollingSpendDays > 3'660) {
    return outOfRange("rolling_spend_days", 1, 3'660);
  }
  return base::Status();
}

}  // namespace loyalty::core::domain
