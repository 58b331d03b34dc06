// Ed25519 coupon keys for the pos-agent tests, made at test time with OpenSSL EVP from a seeded
// RNG (deterministic, never committed), written the way loyalty-keys writes them.
//
// Thread safety: the functions are re-entrant.
#pragma once

#include <cstdint>
#include <string>

#include "loyalty/protocol/coupon_code.h"

namespace loyalty::agent::test {

struct TestCouponKey {
  uint16_t keyId = 0;
  std::string privatePem;  // PKCS#8
  std::string publicPem;   // SubjectPublicKeyInfo
};

// The key pair whose 32-byte private key comes from std::mt19937_64(seed).
TestCouponKey makeCouponKey(uint64_t seed, uint16_t keyId);

// Writes dir/coupon-key-<id>.pub.pem.
void writePublicKey(const TestCouponKey& key, const std::string& dir);

// The code of claims signed by key (REQUIREs success).
std::string signCoupon(const TestCouponKey& key, const protocol::CouponClaims& claims);

}  // namespace loyalty::agent::test
