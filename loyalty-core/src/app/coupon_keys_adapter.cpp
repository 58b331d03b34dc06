#include "app/coupon_keys_adapter.h"

namespace loyalty::core::app {

base::Result<std::unique_ptr<CouponKeys>> CouponKeys::load(const std::string& dir,
                                                           uint16_t signingKeyId) {
  auto signer = protocol::loadCouponSigner(dir, signingKeyId);
  if (!signer.ok()) {
    return signer.error();
  }
  auto verifier = protocol::loadCouponVerifier(dir);
  if (!verifier.ok()) {
    return verifier.error();
  }
  return std::unique_ptr<CouponKeys>(
      new CouponKeys(std::move(signer).value(), std::move(verifier).value()));
}

base::Result<std::string> CouponKeys::sign(const domain::CodeClaims& claims) const {
  protocol::CouponClaims c;
  c.serial = claims.serial;
  c.card = claims.card;
  c.campaign = static_cast<uint32_t>(claims.campaignId);
  c.expires = claims.expires;
  return signer_.sign(c);
}

domain::CodeCheck CouponKeys::check(std::string_view code, std::string_view card,
                                    std::string_view today) const {
  const protocol::CouponCheck verdict = verifier_.verify(code, card, today);
  domain::CodeCheck out;
  out.accepted = verdict.accepted;
  out.reason = verdict.reason;
  if (verdict.claims) {
    out.claims.serial = verdict.claims->serial;
    out.claims.card = verdict.claims->card;
    out.claims.campaignId = verdict.claims->campaign;
    out.claims.expires = verdict.claims->expires;
  }
  return out;
}

}  // namespace loyalty::core::app
