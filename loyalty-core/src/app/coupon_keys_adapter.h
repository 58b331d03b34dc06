// The core's implementations of the domain's coupon ports (domain/offers/coupon_keys.h) with the
// Ed25519 coupon codes of loyalty::coupon_code: the private key of the configured key id signs,
// every public key of the key directory verifies (so coupons signed before a rotation still scan).
//
// Thread safety: immutable after load(); sign() and check() may run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "domain/offers/coupon_keys.h"
#include "loyalty/base/result.h"
#include "loyalty/protocol/coupon_code.h"

namespace loyalty::core::app {

class CouponKeys final : public domain::CouponIssuer, public domain::CouponChecker {
 public:
  // Errors: kInvalidValue when the directory has no readable public key or the signing key
  // coupon-key-<signingKeyId>.pem is missing or not an Ed25519 private key.
  static base::Result<std::unique_ptr<CouponKeys>> load(const std::string& dir,
                                                         uint16_t signingKeyId);

  base::Result<std::string> sign(const domain::CodeClaims& claims) const override;
  domain::CodeCheck check(std::string_view code, std::string_view card,
                          std::string_view today) const override;

 private:
  CouponKeys(protocol::CouponSigner signer, protocol::CouponVerifier verifier)
      : signer_(std::move(signer)), verifier_(std::move(verifier)) {}

  protocol::CouponSigner signer_;
  protocol::CouponVerifier verifier_;
};

}  // namespace loyalty::core::app
