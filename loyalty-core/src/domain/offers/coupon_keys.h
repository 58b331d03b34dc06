// The domain's view of signed coupon codes: it issues and checks codes through these two ports,
// so that it stays free of OpenSSL. The core implements them with loyalty::coupon_code
// (app/coupon_keys_adapter.*); tests use fakes.
//
// Thread safety: implementations must allow concurrent calls.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "loyalty/base/result.h"

namespace loyalty::core::domain {

struct CodeClaims {
  uint64_t serial = 0;
  std::string card;
  int64_t campaignId = 0;
  std::string expires;  // YYYY-MM-DD
};

class CouponIssuer {
 public:
  virtual ~CouponIssuer() = default;
  // The signed code text for these claims.
  virtual base::Result<std::string> sign(const CodeClaims& claims) const = 0;
};

struct CodeCheck {
  bool accepted = false;
  std::string reason;  // a protocol coupon reason code when refused ("coupon_bad_signature", ...)
  CodeClaims claims;   // when accepted
};

class CouponChecker {
 public:
  virtual ~CouponChecker() = default;
  // Form, key, signature, card binding and expiry (today: YYYY-MM-DD business date).
  virtual CodeCheck check(std::string_view code, std::string_view card,
                          std::string_view today) const = 0;
};

}  // namespace loyalty::core::domain
