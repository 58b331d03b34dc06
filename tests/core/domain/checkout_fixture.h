// Test scaffolding for CheckoutService: the programme, the campaign book and fake coupon keys.
// FakeCouponKeys writes readable codes "FAKE|serial|card|campaign|expires" and checks the card
// and the expiry the way the real Ed25519 codes are checked (form, card, expiry), so domain tests
// do not need OpenSSL; the real codes are tested in tests/protocol and tests/integration.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "domain/checkout_service.h"
#include "domain/offers/campaigns.h"
#include "domain/offers/coupon_keys.h"
#include "domain/offers/programme.h"

namespace loyalty::testing {

class FakeCouponKeys final : public core::domain::CouponIssuer,
                             public core::domain::CouponChecker {
 public:
  base::Result<std::string> sign(const core::domain::CodeClaims& c) const override {
    return "FAKE|" + std::to_string(c.serial) + "|" + c.card + "|" +
           std::to_string(c.campaignId) + "|" + c.expires;
  }
  core::domain::CodeCheck check(std::string_view code, std::string_view card,
                                std::string_view today) const override {
    core::domain::CodeCheck out;
    std::vector<std::string> parts;
    std::stringstream in{std::string(code)};
    for (std::string part; std::getline(in, part, '|');) {
      parts.push_back(part);
    }
    if (parts.size() != 5 || parts[0] != "FAKE") {
      out.reason = "coupon_malformed";
      return out;
    }
    if (parts[2] != card) {
      out.reason = "coupon_wrong_card";
      return out;
    }
    if (std::string(today) > parts[4]) {
      out.reason = "coupon_expired";
      return out;
    }
    out.accepted = true;
    out.claims.serial = std::stoull(parts[1]);
    out.claims.card = parts[2];
    out.claims.campaignId = std::stoll(parts[3]);
    out.claims.expires = parts[4];
    return out;
  }
};

// Everything a CheckoutService needs besides the store; members are declared before use.
struct CheckoutParts {
  core::domain::Catalogue catalogue;
  core::domain::ProgrammeHolder programme{core::domain::Programme()};
  core::domain::CampaignBook campaigns;
  FakeCouponKeys keys;

  template <typename Clock>
  core::domain::CheckoutDeps deps(core::domain::LoyaltyStore& store, const Clock& clock) {
    return core::domain::CheckoutDeps{store, catalogue, clock, programme, campaigns, &keys, &keys};
  }
};

}  // namespace loyalty::testing
