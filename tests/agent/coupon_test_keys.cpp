#include "coupon_test_keys.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <catch2/catch.hpp>
#include <memory>
#include <random>
#include <vector>

#include "support/test_support.h"

namespace loyalty::agent::test {

namespace {

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

std::string bioText(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);  // NOLINT(google-runtime-int): OpenSSL API
  return std::string(data, static_cast<size_t>(length));
}

}  // namespace

TestCouponKey makeCouponKey(uint64_t seed, uint16_t keyId) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> raw(32);
  for (uint8_t& b : raw) {
    b = static_cast<uint8_t>(rng() & 0xFF);
  }
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size()),
               &EVP_PKEY_free);
  REQUIRE(pkey != nullptr);
  TestCouponKey key;
  key.keyId = keyId;
  BioPtr priv(BIO_new(BIO_s_mem()), &BIO_free);
  REQUIRE(PEM_write_bio_PrivateKey(priv.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) ==
          1);
  key.privatePem = bioText(priv.get());
  BioPtr pub(BIO_new(BIO_s_mem()), &BIO_free);
  REQUIRE(PEM_write_bio_PUBKEY(pub.get(), pkey.get()) == 1);
  key.publicPem = bioText(pub.get());
  return key;
}

void writePublicKey(const TestCouponKey& key, const std::string& dir) {
  testing::writeFile(dir + "/coupon-key-" + std::to_string(key.keyId) + ".pub.pem", key.publicPem);
}

std::string signCoupon(const TestCouponKey& key, const protocol::CouponClaims& claims) {
  base::Result<protocol::CouponSigner> signer =
      protocol::CouponSigner::fromPem(key.privatePem, key.keyId);
  REQUIRE(signer.ok());
  base::Result<std::string> code = signer->sign(claims);
  REQUIRE(code.ok());
  return *code;
}

}  // namespace loyalty::agent::test
