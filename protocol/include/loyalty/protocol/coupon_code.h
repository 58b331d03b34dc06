// Signed coupon codes: the binary layout, the "LC1" text form, Ed25519 signing and verification.
//
// The core signs each coupon it prints with an Ed25519 private key; pos-agents hold only public
// keys, so an offline till can verify a code by itself and nobody holding the agent binary and
// its configuration can forge one. Each code names the id of the key that signed it (rotation).
// Layout, length and reason codes: docs/protocol.md, "Coupon codes".
//
// Invariants: a code has exactly one text form (canonical uppercase Crockford base32, zero pad
// bits), so the text of an accepted code identifies it; the signature covers every payload byte,
// the key id included. Verification checks, in this order: form, key id, signature, card,
// expiry; verify() returns the claims of accepted codes only.
//
// Thread safety: CouponSigner and CouponVerifier are immutable once set up. sign() and verify()
// are const and may be called from many threads at once (a fresh OpenSSL context per call).
// addPublicKeyPem() is setup: call it before sharing the verifier. Free functions are
// re-entrant. No function throws; failures are base::Result values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/base/result.h"

namespace loyalty::protocol {

class CouponKey;  // an OpenSSL Ed25519 key; defined in coupon_code.cpp

// What a coupon code states. Everything here is covered by the signature.
struct CouponClaims {
  uint64_t serial = 0;    // unique per issued coupon (the redemption log keys on it)
  std::string card;       // the shopper's card: 13..19 digits, Luhn-valid, no leading zero
  uint32_t campaign = 0;  // the campaign that issued it
  std::string expires;    // YYYY-MM-DD, the last valid day, 2000-01-01 .. 2179-06-06
  uint16_t keyId = 0;     // the id of the signing key
};

bool operator==(const CouponClaims& a, const CouponClaims& b);
inline bool operator!=(const CouponClaims& a, const CouponClaims& b) { return !(a == b); }

// The sizes of the format (docs/protocol.md, "Coupon codes").
inline constexpr uint8_t kCouponFormatVersion = 1;
inline constexpr std::string_view kCouponCodePrefix = "LC1";
inline constexpr size_t kCouponPayloadBytes = 25;    // version 1 + serial 8 + card 8 +
                                                     // campaign 4 + expiry 2 + key id 2
inline constexpr size_t kCouponSignatureBytes = 64;  // Ed25519
inline constexpr size_t kCouponCodeBytes = kCouponPayloadBytes + kCouponSignatureBytes;  // 89
// "LC1" + ceil(89 * 8 / 5) base32 characters.
inline constexpr size_t kCouponCodeLength =
    kCouponCodePrefix.size() + (kCouponCodeBytes * 8 + 4) / 5;  // 146

// The stable reason codes of a refused code (CouponDecision.reason on the wire).
inline constexpr std::string_view kCouponMalformed = "coupon_malformed";
inline constexpr std::string_view kCouponUnknownKey = "coupon_unknown_key";
inline constexpr std::string_view kCouponBadSignature = "coupon_bad_signature";
inline constexpr std::string_view kCouponWrongCard = "coupon_wrong_card";
inline constexpr std::string_view kCouponExpired = "coupon_expired";

// The verdict on one code.
struct CouponCheck {
  bool accepted = false;
  std::string reason;                  // one of the kCoupon* reason codes; empty when accepted
  std::optional<CouponClaims> claims;  // set only when accepted
};

// Signs coupon claims with one Ed25519 private key. Copies share the key.
class CouponSigner {
 public:
  // `pem`: an unencrypted PKCS#8 "PRIVATE KEY" PEM of an Ed25519 key (as loyalty-keys writes).
  // kInvalidValue when it is not a PEM private key, is encrypted, or is not Ed25519.
  static base::Result<CouponSigner> fromPem(const std::string& pem, uint16_t keyId);

  // The "LC1..." text of the signed code. claims.keyId is ignored: the signer's key id is used.
  // kInvalidCard when the card is not 13..19 digits with a valid check digit or starts with 0;
  // kInvalidValue when expires is not a YYYY-MM-DD date; kValueOutOfRange when it is outside
  // 2000-01-01 .. 2179-06-06; kInternal when OpenSSL fails.
  base::Result<std::string> sign(const CouponClaims& claims) const;

  uint16_t keyId() const { return keyId_; }

 private:
  CouponSigner(std::shared_ptr<const CouponKey> key, uint16_t keyId);

  std::shared_ptr<const CouponKey> key_;
  uint16_t keyId_;
};

// Verifies codes against the public keys it holds, by key id.
class CouponVerifier {
 public:
  CouponVerifier() = default;

  // Adds the public key of `keyId`: a "PUBLIC KEY" PEM of an Ed25519 key (SubjectPublicKeyInfo).
  // kInvalidValue when the PEM is not an Ed25519 public key or keyId already has a key.
  base::Status addPublicKeyPem(uint16_t keyId, const std::string& pem);

  // Checks `code` for the shopper's `card` on the business day `today` (YYYY-MM-DD). Refusals,
  // in check order: kCouponMalformed, kCouponUnknownKey, kCouponBadSignature, kCouponWrongCard,
  // kCouponExpired (today after claims.expires; the expiry day itself is valid). A `today` that
  // is not a YYYY-MM-DD date fails closed: an authentic code for the card is kCouponExpired.
  CouponCheck verify(std::string_view code, std::string_view card, std::string_view today) const;

  size_t keyCount() const { return keys_.size(); }

 private:
  std::map<uint16_t, std::shared_ptr<const CouponKey>> keys_;
};

// Key files as loyalty-keys writes them: DIR/coupon-key-<id>.pem (private) and
// DIR/coupon-key-<id>.pub.pem (public). loadCouponVerifier adds every public key file of dir
// (rotation: old keys stay to verify coupons already printed); kInvalidValue when dir cannot be
// read, a file is not an Ed25519 public key, or there is none. loadCouponSigner reads the
// private key of keyId; kInvalidValue when missing or not an Ed25519 private key.
base::Result<CouponVerifier> loadCouponVerifier(const std::string& dir);
base::Result<CouponSigner> loadCouponSigner(const std::string& dir, uint16_t keyId);

// The claims of a well-formed code, WITHOUT checking its signature: for display and tools only,
// never to accept a coupon. kInvalidValue when the code is malformed (the message says why).
base::Result<CouponClaims> decodeCouponClaims(std::string_view code);

// "sha256:" + the hex SHA-256 of the raw 32-byte Ed25519 public key of `pem`, which may be a
// public key or a private key (a key pair's two files give the same fingerprint). Not secret:
// fit for logs. kInvalidValue when the PEM is not an Ed25519 key.
base::Result<std::string> couponKeyFingerprint(const std::string& pem);

// Crockford base32 (alphabet 0-9 A-Z without I L O U), no padding, no hyphens, no check symbol.
std::string crockfordBase32Encode(const std::vector<uint8_t>& bytes);
// Strict inverse of crockfordBase32Encode: uppercase alphabet only, a length that some byte
// count encodes to, and zero pad bits; anything else is kInvalidValue. So every byte string has
// exactly one accepted text.
base::Result<std::vector<uint8_t>> crockfordBase32Decode(std::string_view text);

}  // namespace loyalty::protocol
