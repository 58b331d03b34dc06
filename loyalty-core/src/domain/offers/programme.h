// Programme: the chain's points programme as HQ configures it (design.md section 5): the earn
// rules and tiers (rules/earn_rules.h), points as a tender, points expiry, the clawback policy
// and how long a price call holds the coupons it accepted. Stored as the "programme" setting (the
// admin layer encodes it as JSON, docs/admin-api.md); ProgrammeHolder keeps the current value for
// the checkout path.
//
// Thread safety: Programme is a plain value. ProgrammeHolder may be read and replaced from any
// number of threads; a reader keeps the snapshot it got for the whole request.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "domain/rules/earn_rules.h"
#include "loyalty/base/money.h"
#include "loyalty/base/result.h"

namespace loyalty::core::domain {

// Points spent as a tender at the price step: in whole units of unitPoints, each worth
// unitValue minor units, at least minPoints at a time. unitPoints 0 disables the tender.
struct PointsTender {
  int64_t unitPoints = 100;       // 0..1,000,000
  base::Money unitValue{100};     // 1..1,000,000 minor units per unit
  int64_t minPoints = 500;        // 0..kMaxRedeemPoints, a multiple of unitPoints
};

// What a refund does when the points it takes back exceed the shopper's balance.
enum class ClawbackPolicy {
  kAllowNegative,  // the balance goes below zero
  kOffset,         // the balance stops at zero; the rest is debt, paid from the next earns
};
const char* clawbackPolicyName(ClawbackPolicy policy);  // "allow_negative", "offset"
std::optional<ClawbackPolicy> parseClawbackPolicy(std::string_view name);

struct Programme {
  rules::EarnRules earn;
  PointsTender tender;
  int64_t expiryMonths = 0;  // 0..120; points expire this many months after the earn; 0 = never
  ClawbackPolicy clawback = ClawbackPolicy::kOffset;
  int64_t reservationSeconds = 900;  // 10..86,400: a price call's hold on accepted coupons
  int64_t rollingSpendDays = 365;    // 1..3,660: the window of the tier's rolling spend
};

// Errors: kInvalidValue / kValueOutOfRange naming the field (earn rules: rules::validate).
base::Status validate(const Programme& programme);

// The setting name the programme is stored under.
inline constexpr const char* kProgrammeSetting = "programme";

class ProgrammeHolder {
 public:
  explicit ProgrammeHolder(Programme initial)
      : current_(std::make_shared<const Programme>(std::move(initial))) {}

  std::shared_ptr<const Programme> get() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return current_;
  }
  void set(Programme programme) {
    auto next = std::make_shared<const Programme>(std::move(programme));
    std::lock_guard<std::mutex> lock(mutex_);
    current_ = std::move(next);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Programme> current_;
};

}  // namespace loyalty::core::domain
