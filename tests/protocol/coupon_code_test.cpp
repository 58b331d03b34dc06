// Tests of signed coupon codes (loyalty/protocol/coupon_code.h): round trip, tamper resistance
// (every single-bit flip), card binding, expiry, key rotation, malformed input, base32, and the
// length stated by docs/protocol.md. Keys are made here from fixed seeds (or freshly generated),
// never read from committed files.
#include "loyalty/protocol/coupon_code.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "loyalty/protocol/card.h"
#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/limits.h"
#include "support/test_support.h"

#ifndef LOYALTY_DOCS_DIR
#error "LOYALTY_DOCS_DIR must name the docs directory"
#endif

namespace {

using loyalty::base::ErrorCode;
using namespace loyalty::protocol;  // NOLINT(google-build-using-namespace): test file

struct TestKey {
  std::string privatePem;
  std::string publicPem;
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

std::string bioText(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);  // NOLINT(google-runtime-int): OpenSSL API
  return std::string(data, static_cast<size_t>(length));
}

TestKey exportKey(EVP_PKEY* pkey) {
  TestKey key;
  BioPtr priv(BIO_new(BIO_s_mem()), &BIO_free);
  REQUIRE(PEM_write_bio_PrivateKey(priv.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  key.privatePem = bioText(priv.get());
  BioPtr pub(BIO_new(BIO_s_mem()), &BIO_free);
  REQUIRE(PEM_write_bio_PUBKEY(pub.get(), pkey) == 1);
  key.publicPem = bioText(pub.get());
  return key;
}

// An Ed25519 key pair from a 32-byte private key.
TestKey keyFromRaw(const std::vector<uint8_t>& raw) {
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size()),
               &EVP_PKEY_free);
  REQUIRE(pkey != nullptr);
  return exportKey(pkey.get());
}

// A deterministic Ed25519 key pair: the private key comes from a seeded RNG.
TestKey seededKey(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> raw(32);
  for (auto& b : raw) {
    b = static_cast<uint8_t>(rng() & 0xFF);
  }
  return keyFromRaw(raw);
}

// A fresh random Ed25519 key pair (EVP_PKEY_keygen).
TestKey generatedKey() {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), &EVP_PKEY_CTX_free);
  REQUIRE(ctx != nullptr);
  REQUIRE(EVP_PKEY_keygen_init(ctx.get()) == 1);
  EVP_PKEY* raw = nullptr;
  REQUIRE(EVP_PKEY_keygen(ctx.get(), &raw) == 1);
  PkeyPtr pkey(raw, &EVP_PKEY_free);
  return exportKey(pkey.get());
}

const TestKey& key1() {
  static const TestKey key = seededKey(1);
  return key;
}

const TestKey& key2() {
  static const TestKey key = seededKey(2);
  return key;
}

CouponSigner signerFor(const TestKey& key, uint16_t keyId) {
  auto signer = CouponSigner::fromPem(key.privatePem, keyId);
  REQUIRE(signer.ok());
  return *signer;
}

const std::string kCard = "9000000000019";
const std::string kOtherCard = "9000000000027";

CouponClaims sampleClaims() {
  CouponClaims claims;
  claims.serial = 123456789;
  claims.card = kCard;
  claims.campaign = 42;
  claims.expires = "2025-03-31";
  return claims;
}

std::string signSample(const CouponSigner& signer, const CouponClaims& claims = sampleClaims()) {
  auto code = signer.sign(claims);
  REQUIRE(code.ok());
  return *code;
}

std::vector<uint8_t> codeBytes(const std::string& code) {
  REQUIRE(code.rfind("LC1", 0) == 0);
  auto bytes = crockfordBase32Decode(std::string_view(code).substr(3));
  REQUIRE(bytes.ok());
  return *bytes;
}

std::string codeText(const std::vector<uint8_t>& bytes) {
  return "LC1" + crockfordBase32Encode(bytes);
}

}  // namespace

TEST_CASE("CouponCode: sign then verify round trip", "[protocol][coupon]") {
  CouponVerifier verifier;
  REQUIRE(verifier.addPublicKeyPem(7, key1().publicPem).ok());
  const CouponSigner signer = signerFor(key1(), 7);

  CouponClaims claims = sampleClaims();
  claims.keyId = 999;  // ignored: the signer's key id is used
  const std::string code = signSample(signer, claims);

  CHECK(code.size() == kCouponCodeLength);
  CHECK(code.rfind("LC1", 0) == 0);
  CHECK(code.find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ", 3) == std::string::npos);

  const CouponCheck check = verifier.verify(code, kCard, "2025-01-15");
  REQUIRE(check.accepted);
  CHECK(check.reason.empty());
  REQUIRE(check.claims.has_value());
  CouponClaims expected = sampleClaims();
  expected.keyId = 7;
  CHECK(*check.claims == expected);

  auto decoded = decodeCouponClaims(code);
  REQUIRE(decoded.ok());
  CHECK(*decoded == expected);

  // Ed25519 is deterministic: the same claims and key give the same code.
  CHECK(signSample(signer, claims) == code);
}

TEST_CASE("CouponCode: extreme field values survive the round trip", "[protocol][coupon]") {
  CouponVerifier verifier;
  REQUIRE(verifier.addPublicKeyPem(UINT16_MAX, key1().publicPem).ok());
  const CouponSigner signer = signerFor(key1(), UINT16_MAX);

  const std::string nines(18, '9');
  const std::string longest = nines + std::string(1, luhnCheckDigit(nines));
  REQUIRE(longest.size() == 19);
  CouponClaims claims;
  claims.serial = UINT64_MAX;
  claims.card = longest;
  claims.campaign = UINT32_MAX;
  claims.expires = "2179-06-06";  // expiry day 65535
  const std::string code = signSample(signer, claims);
  const CouponCheck check = verifier.verify(code, longest, "2179-06-06");
  REQUIRE(check.accepted);
  claims.keyId = UINT16_MAX;
  CHECK(*check.claims == claims);

  CouponClaims first;
  first.serial = 0;
  first.card = "1000000000009";  // the smallest 13-digit card
  REQUIRE(isValidCard(first.card));
  first.campaign = 0;
  first.expires = "2000-01-01";  // expiry day 0
  const std::string firstCode = signSample(signer, first);
  const CouponCheck firstCheck = verifier.verify(firstCode, first.card, "1999-12-31");
  REQUIRE(firstCheck.accepted);
  first.keyId = UINT16_MAX;
  CHECK(*firstCheck.claims == first);
}

TEST_CASE("CouponCode: a freshly generated key pair signs and verifies", "[protocol][coupon]") {
  const TestKey key = generatedKey();
  CouponVerifier verifier;
  REQUIRE(verifier.addPublicKeyPem(3, key.publicPem).ok());
  const std::string code = signSample(signerFor(key, 3));
  CHECK(verifier.verify(code, kCard, "2025-03-31").accepted);
}

TEST_CASE("CouponCode: every single-bit flip of a valid code is refused", "[protocol][coupon]") {
  constexpr uint16_t kKeyId = 1;
  CouponVerifier verifier;
  REQUIRE(verifier.addPublicKeyPem(kKeyId, key1().publicPem).ok());
  // The same public key under every key id one bit away, so that a flip in the key id field
  // meets a known key and must be caught by the signature (which covers the key id).
  for (int bit = 0; bit < 16; ++bit) {
    const auto neighbour = static_cast<uint16_t>(kKeyId ^ (1U << bit));
    REQUIRE(verifier.addPublicKeyPem(neighbour, key1().publicPem).ok());
  }
  const std::string code = signSample(signerFor(key1(), kKeyId));
  REQUIRE(verifier.verify(code, kCard, "2025-01-01").accepted);

  const std::vector<uint8_t> bytes = codeBytes(code);
  REQUIRE(bytes.size() == kCouponCodeBytes);
  size_t malformed = 0;
  size_t badSignature = 0;
  std::vector<std::string> otherOutcomes;
  for (size_t i = 0; i < bytes.size() * 8; ++i) {
    std::vector<uint8_t> flipped = bytes;
    flipped[i / 8] = static_cast<uint8_t>(flipped[i / 8] ^ (0x80U >> (i % 8)));
    const CouponCheck check = verifier.verify(codeText(flipped), kCard, "2025-01-01");
    if (check.accepted) {
      otherOutcomes.push_back("bit " + std::to_string(i) + ": accepted");
    } else if (check.reason == kCouponMalformed) {
      ++malformed;
    } else if (check.reason == kCouponBadSignature) {
      ++badSignature;
    } else {
      otherOutcomes.push_back("bit " + std::to_string(i) + ": " + check.reason);
    }
  }
  INFO("first unexpected outcome: " << (otherOutcomes.empty() ? "-" : otherOutcomes.front()));
  CHECK(otherOutcomes.empty());
  CHECK(malformed + badSignature == kCouponCodeBytes * 8);
  CHECK(malformed >= 8);          // at least every flip of the version byte
  CHECK(badSignature >= 64 * 8);  // at least every flip of the signature
}

TEST_CASE("CouponCode: every single-character substitution of the text is refused",
          "[protocol][coupon]") {
  CouponVerifier verifier;
  REQUIRE(verifier.addPublicKeyPem(1, key1().publicPem).ok());
  const std::string code = signSample(signerFor(key1(), 1));
  const std::string alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZabcz-ILOU";
  size_t tried = 0;
  size_t accepted = 0;
  for (size_t i = 0; i < code.size(); ++i) {
    for (const char c : alphabet) {
      if (c == code[i]) {
        continue;
      }
      std::string changed = code;
      changed[i] = c;
      ++tried;
      if (verifier.verify(changed, kCard, "2025-01-01").accepted) {
        ++accepted;
      }
    }
  }
  CHECK(tried > code.size() * 30);
  CHECK(accepted == 0);
}

TEST_CASE("CouponCode: a code for another card is coupon_wrong_card", "[protocol][coupon]") {
  CouponVerifier verifier;
  REQUIRE(verifier.addPublicKeyPem(1, key1().publicPem).ok());
  const std::string code = signSample(signerFor(key1(), 1));
  for (const std::string& card : {kOtherCard, std::string(""), " " + kCard, kCard + " ",
                                 "0" + kCard, std::string("not a card")}) {
    const CouponCheck check = verifier.verify(code, card, "2025-01-01");
    CHECK_FALSE(check.accepted);
    CHECK(check.reason == kCouponWrongCard);
    CHECK_FALSE(check.claims.has_value());
  }
  CHECK(verifier.verify(code, kCard, "2025-01-01").accepted);
}

TEST_CASE("CouponCode: valid through the expiry day, coupon_expired after", "[protocol][coupon]") {
  CouponVerifier verifier;
  REQUIRE(verifier.addPublicKeyPem(1, key1().publicPem).ok());
  const CouponSigner signer = signerFor(key1(), 1);
  const std::string code = signSample(signer);  // expires 2025-03-31

  CHECK(verifier.verify(code, kCard, "2024-12-31").accepted);
  CHECK(verifier.verify(code, kCard, "2025-03-30").accepted);
  CHECK(verifier.verify(code, kCard, "2025-03-31").accepted);  // the last valid day
  for (const char* today : {"2025-04-01", "2025-12-31", "2026-01-01", "2179-06-06"}) {
    const CouponCheck check = verifier.verify(code, kCard, today);
    CHECK_FALSE(check.accepted);
    CHECK(check.reason == kCouponExpired);
  }
  // A `today` that is not a date fails closed.
  for (const char* today : {"", "2025-3-01", "2025-02-30", "20250101", "yesterday"}) {
    CHECK(verifier.verify(code, kCard, today).reason == kCouponExpired);
  }

  CouponClaims leap = sampleClaims();
  leap.expires = "2024-02-29";
  const std::string leapCode = signSample(signer, leap);
  CHECK(verifier.verify(leapCode, kCard, "2024-02-28").accepted);
  CHECK(verifier.verify(leapCode, kCard, "2024-02-29").accepted);
  CHECK(verifier.verify(leapCode, kCard, "2024-03-01").reason == kCouponExpired);
  auto decoded = decodeCouponClaims(leapCode);
  REQUIRE(decoded.ok());
  CHECK(decoded->expires == "2024-02-29");
}

TEST_CASE("CouponCode: a key id the verifier does not hold is coupon_unknown_key",
          "[protocol][coupon]") {
  CouponVerifier verifier;
  REQUIRE(verifier.addPublicKeyPem(1, key1().publicPem).ok());
  const std::string code = signSample(signerFor(key2(), 2));
  const CouponCheck check = verifier.verify(code, kCard, "2025-01-01");
  CHECK_FALSE(check.accepted);
  CHECK(check.reason == kCouponUnknownKey);

  // Checked before the signature and the card: a forged code learns nothing more.
  std::vector<uint8_t> bytes = codeBytes(code);
  bytes.back() ^= 0x01;
  CHECK(verifier.verify(codeText(bytes), kOtherCard, "2099-01-01").reason == kCouponUnknownKey);

  CouponVerifier empty;
  CHECK(empty.keyCount() == 0);
  CHECK(empty.verify(code, kCard, "2025-01-01").reason == kCouponUnknownKey);
}

TEST_CASE("CouponCode: rotation, a verifier with keys 1 and 2 accepts codes of both",
          "[protocol][coupon]") {
  CouponVerifier verifier;
  REQUIRE(verifier.addPublicKeyPem(1, key1().publicPem).ok());
  REQUIRE(verifier.addPublicKeyPem(2, key2().publicPem).ok());
  CHECK(verifier.keyCount() == 2);
  const std::string code1 = signSample(signerFor(key1(), 1));
  const std::string code2 = signSample(signerFor(key2(), 2));
  CHECK(code1 != code2);
  const CouponCheck check1 = verifier.verify(code1, kCard, "2025-01-01");
  const CouponCheck check2 = verifier.verify(code2, kCard, "2025-01-01");
  REQUIRE(check1.accepted);
  REQUIRE(check2.accepted);
  CHECK(check1.claims->keyId == 1);
  CHECK(check2.claims->keyId == 2);
}

TEST_CASE("CouponCode: key 2's signature claiming key id 1 is coupon_bad_signature",
          "[protocol][coupon]") {
  CouponVerifier verifier;
  REQUIRE(verifier.addPublicKeyPem(1, key1().publicPem).ok());
  REQUIRE(verifier.addPublicKeyPem(2, key2().publicPem).ok());
  const CouponSigner impostor = signerFor(key2(), 1);  // key 2's private key, key id 1
  const std::string forged = signSample(impostor);
  const CouponCheck check = verifier.verify(forged, kCard, "2025-01-01");
  CHECK_FALSE(check.accepted);
  CHECK(check.reason == kCouponBadSignature);
  CHECK_FALSE(check.claims.has_value());
  // The signature is checked before the card and the expiry.
  CHECK(verifier.verify(forged, kOtherCard, "2099-01-01").reason == kCouponBadSignature);
  // The display-only decoder does not check signatures.
  auto decoded = decodeCouponClaims(forged);
  REQUIRE(decoded.ok());
  CHECK(decoded->keyId == 1);
}

TEST_CASE("CouponCode: garbage, wrong prefix and truncated codes are coupon_malformed",
          "[protocol][coupon]") {
  CouponVerifier verifier;
  REQUIRE(verifier.addPublicKeyPem(1, key1().publicPem).ok());
  const std::string code = signSample(signerFor(key1(), 1));
  const std::string body = code.substr(3);
  std::string lowercase = code;
  for (size_t i = 3; i < lowercase.size(); ++i) {
    lowercase[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(lowercase[i])));
  }
  REQUIRE(lowercase != code);  // some letters in the body
  std::string withI = code;
  withI[10] = 'I';  // Crockford aliases (I, L, O) are not accepted: one text per code
  std::vector<uint8_t> version2 = codeBytes(code);
  version2[0] = 2;

  const std::vector<std::string> bad = {
      "",
      "LC1",
      "WELCOME5",
      std::string(kCouponCodeLength, '0'),
      "LC2" + body,
      "lc1" + body,
      "XLC1" + body.substr(1),
      code.substr(0, code.size() - 1),   // truncated by one
      code.substr(0, code.size() / 2),   // truncated by half
      code + "0",                        // one more character
      code.substr(0, 50) + "-" + code.substr(51),
      code.substr(0, 50) + std::string("\xC3", 1) + code.substr(51),
      lowercase,
      withI,
      codeText(version2),
      "LC1" + std::string(kCouponCodeLength - 3, 'Z'),  // pad bits set, and an invalid card
  };
  for (const std::string& text : bad) {
    INFO("code: " << text);
    const CouponCheck check = verifier.verify(text, kCard, "2025-01-01");
    CHECK_FALSE(check.accepted);
    CHECK(check.reason == kCouponMalformed);
    auto decoded = decodeCouponClaims(text);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == ErrorCode::kInvalidValue);
  }
}

TEST_CASE("CouponCode: non-zero pad bits make another text of the same bytes: malformed",
          "[protocol][coupon]") {
  CouponVerifier verifier;
  REQUIRE(verifier.addPublicKeyPem(1, key1().publicPem).ok());
  const std::string code = signSample(signerFor(key1(), 1));
  // 89 bytes = 712 bits in 143 characters (715 bits): the last character carries 3 pad bits.
  const std::string digits = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const size_t last = digits.find(code.back());
  REQUIRE(last % 8 == 0);
  for (size_t pad = 1; pad < 8; ++pad) {
    std::string alias = code;
    alias.back() = digits[last + pad];
    CHECK(verifier.verify(alias, kCard, "2025-01-01").reason == kCouponMalformed);
  }
}

TEST_CASE("CouponCode: Crockford base32 known vectors and round trip", "[protocol][coupon]") {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},           {"f", "CR"},           {"fo", "CSQG"},
      {"foo", "CSQPY"},   {"foob", "CSQPYRG"},   {"fooba", "CSQPYRK1"},
      {"foobar", "CSQPYRK1E8"},
  };
  for (const auto& [plain, encoded] : vectors) {
    const std::vector<uint8_t> bytes(plain.begin(), plain.end());
    CHECK(crockfordBase32Encode(bytes) == encoded);
    auto decoded = crockfordBase32Decode(encoded);
    REQUIRE(decoded.ok());
    CHECK(*decoded == bytes);
  }
  CHECK(crockfordBase32Encode(std::vector<uint8_t>(5, 0xFF)) == "ZZZZZZZZ");

  std::mt19937_64 rng(20240611);
  for (size_t length = 0; length <= 100; ++length) {
    std::vector<uint8_t> bytes(length);
    for (auto& b : bytes) {
      b = static_cast<uint8_t>(rng() & 0xFF);
    }
    const std::string text = crockfordBase32Encode(bytes);
    CHECK(text.size() == (length * 8 + 4) / 5);
    auto back = crockfordBase32Decode(text);
    REQUIRE(back.ok());
    CHECK(*back == bytes);
  }

  // Lengths no byte count encodes to, pad bits, lowercase and aliases are refused.
  for (const char* text : {"0", "000", "000000", "CS", "cr", "C-R", "IR", "LR", "OR", "UR"}) {
    INFO("text: " << text);
    auto decoded = crockfordBase32Decode(text);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == ErrorCode::kInvalidValue);
  }
}

TEST_CASE("CouponCode: the text length is the one docs/protocol.md states", "[protocol][coupon]") {
  std::ifstream in(std::string(LOYALTY_DOCS_DIR) + "/protocol.md", std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream all;
  all << in.rdbuf();
  const std::string doc = all.str();
  const size_t start = doc.find("\n## Coupon codes");
  REQUIRE(start != std::string::npos);
  const size_t end = doc.find("\n## ", start + 1);
  const std::string section = doc.substr(start, end == std::string::npos ? end : end - start);

  CHECK(kCouponCodeLength == 146);
  CHECK(section.find("exactly " + std::to_string(kCouponCodeLength) + " characters") !=
        std::string::npos);
  CHECK(section.find(std::to_string(kCouponCodeBytes) + " bytes") != std::string::npos);
  for (const std::string_view reason : {kCouponMalformed, kCouponUnknownKey, kCouponBadSignature,
                                        kCouponWrongCard, kCouponExpired}) {
    CHECK(section.find("| `" + std::string(reason) + "` |") != std::string::npos);
  }

  const std::string code = signSample(signerFor(key1(), 1));
  CHECK(code.size() == kCouponCodeLength);
}

TEST_CASE("CouponCode: the signer refuses claims it cannot encode", "[protocol][coupon]") {
  const CouponSigner signer = signerFor(key1(), 1);
  struct Case {
    std::string card;
    std::string expires;
    ErrorCode code;
  };
  const std::vector<Case> cases = {
      {"9000000000018", "2025-01-01", ErrorCode::kInvalidCard},  // bad check digit
      {"0000000000000", "2025-01-01", ErrorCode::kInvalidCard},  // leading zero
      {"900000000001", "2025-01-01", ErrorCode::kInvalidCard},   // 12 digits
      {"", "2025-01-01", ErrorCode::kInvalidCard},
      {kCard, "2025-02-29", ErrorCode::kInvalidValue},
      {kCard, "2025-13-01", ErrorCode::kInvalidValue},
      {kCard, "2025-1-01", ErrorCode::kInvalidValue},
      {kCard, "", ErrorCode::kInvalidValue},
      {kCard, "1999-12-31", ErrorCode::kValueOutOfRange},
      {kCard, "2179-06-07", ErrorCode::kValueOutOfRange},
  };
  REQUIRE(isValidCard("0000000000000"));
  for (const Case& c : cases) {
    INFO("card " << c.card << ", expires " << c.expires);
    CouponClaims claims = sampleClaims();
    claims.card = c.card;
    claims.expires = c.expires;
    auto code = signer.sign(claims);
    REQUIRE_FALSE(code.ok());
    CHECK(code.error().code == c.code);
  }
}

TEST_CASE("CouponCode: keys of the wrong kind or type are kInvalidValue", "[protocol][coupon]") {
  // An EC P-256 key: a valid PEM, the wrong algorithm.
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> ec(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  REQUIRE(ec != nullptr);
  const TestKey ecKey = exportKey(ec.get());
  // An encrypted private key: refused without prompting for a pass phrase.
  std::string encrypted;
  {
    PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                              std::vector<uint8_t>(32, 7).data(), 32),
                 &EVP_PKEY_free);
    REQUIRE(pkey != nullptr);
    BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free);
    char pass[] = "secret";
    REQUIRE(PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey.get(), EVP_aes_256_cbc(), pass, 6,
                                          nullptr, nullptr) == 1);
    encrypted = bioText(bio.get());
  }

  for (const std::string& pem : {std::string(), std::string("garbage"), key1().publicPem,
                                 ecKey.privatePem, encrypted}) {
    auto signer = CouponSigner::fromPem(pem, 1);
    REQUIRE_FALSE(signer.ok());
    CHECK(signer.error().code == ErrorCode::kInvalidValue);
  }
  CouponVerifier verifier;
  for (const std::string& pem : {std::string(), std::string("garbage"), key1().privatePem,
                                 ecKey.publicPem}) {
    const auto status = verifier.addPublicKeyPem(1, pem);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == ErrorCode::kInvalidValue);
  }
  CHECK(verifier.keyCount() == 0);
  REQUIRE(verifier.addPublicKeyPem(1, key1().publicPem).ok());
  const auto again = verifier.addPublicKeyPem(1, key2().publicPem);  // an id keeps its key
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == ErrorCode::kInvalidValue);
  CHECK(verifier.keyCount() == 1);
  CHECK(verifier.verify(signSample(signerFor(key1(), 1)), kCard, "2025-01-01").accepted);
}

TEST_CASE("CouponCode: key fingerprint is SHA-256 of the raw public key", "[protocol][coupon]") {
  // RFC 8032, section 7.1, test 1: this private key has public key d75a9801...f707511a.
  const std::vector<uint8_t> rfcPrivate = {
      0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c,
      0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae,
      0x7f, 0x60};
  const TestKey rfc = keyFromRaw(rfcPrivate);
  const std::string expected =
      "sha256:21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9";
  auto fromPublic = couponKeyFingerprint(rfc.publicPem);
  auto fromPrivate = couponKeyFingerprint(rfc.privatePem);
  REQUIRE(fromPublic.ok());
  REQUIRE(fromPrivate.ok());
  CHECK(*fromPublic == expected);
  CHECK(*fromPrivate == expected);

  auto other = couponKeyFingerprint(key1().publicPem);
  REQUIRE(other.ok());
  CHECK(*other != expected);
  auto bad = couponKeyFingerprint("garbage");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::kInvalidValue);
}

TEST_CASE("CouponCode: one signer and one verifier shared by many threads", "[protocol][coupon]") {
  CouponVerifier verifier;
  REQUIRE(verifier.addPublicKeyPem(1, key1().publicPem).ok());
  REQUIRE(verifier.addPublicKeyPem(2, key2().publicPem).ok());
  const CouponSigner signer1 = signerFor(key1(), 1);
  const CouponSigner signer2 = signerFor(key2(), 2);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<int> accepted(kThreads, 0);
  std::vector<int> refused(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        CouponClaims claims = sampleClaims();
        claims.serial = static_cast<uint64_t>(t * kPerThread + i);
        auto code = (i % 2 == 0 ? signer1 : signer2).sign(claims);
        if (!code.ok()) {
          continue;
        }
        if (verifier.verify(*code, kCard, "2025-01-01").accepted) {
          ++accepted[t];
        } else {
          ++refused[t];
        }
        // A tampered copy is refused even under concurrency.
        std::string tampered = *code;
        tampered[20] = tampered[20] == 'A' ? 'B' : 'A';
        if (verifier.verify(tampered, kCard, "2025-01-01").accepted) {
          ++refused[t];  // counted as a wrong verdict
        } else {
          ++accepted[t];  // counted as a right verdict
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (int t = 0; t < kThreads; ++t) {
    CHECK(accepted[t] == 2 * kPerThread);
    CHECK(refused[t] == 0);
  }
}

TEST_CASE("CouponCode: a signed code can be presented in a price request", "[protocol][coupon]") {
  const std::string code = signSample(signerFor(key1(), 1));
  REQUIRE(code.size() <= kMaxCouponCodeLength);
  PriceRequest request;
  request.key = {"S001", "T1", "2026-11-23", "42"};
  request.card = kCard;
  request.lines = {{1, "SKU1", 1, Money(100)}};
  request.coupons = {code};
  auto decoded = decodePriceRequest(encode(request));
  REQUIRE(decoded.ok());
  REQUIRE(decoded->coupons.size() == 1);
  CHECK(decoded->coupons[0] == code);
}

// ---- Key files (loadCouponVerifier / loadCouponSigner) ----------------------------------------

namespace {

using loyalty::testing::TempDir;
using loyalty::testing::writeFile;

// Writes the two files of a key pair as loyalty-keys names them.
void writeKeyPair(const TempDir& dir, uint16_t keyId, const TestKey& key) {
  writeFile(dir.file("coupon-key-" + std::to_string(keyId) + ".pem"), key.privatePem);
  writeFile(dir.file("coupon-key-" + std::to_string(keyId) + ".pub.pem"), key.publicPem);
}

}  // namespace

TEST_CASE("CouponCode: a key directory with two generated pairs verifies codes of both keys",
          "[protocol][coupon]") {
  TempDir dir("loyalty-coupon-keys");
  writeKeyPair(dir, 1, generatedKey());
  writeKeyPair(dir, 65535, generatedKey());
  // Other files are ignored, even ones that look almost like key files.
  writeFile(dir.file("README.txt"), "not a key");
  writeFile(dir.file("coupon-key-01.pub.pem"), "not a key either (non-canonical id)");
  writeFile(dir.file("coupon-key-65536.pub.pem"), "id out of range");
  writeFile(dir.file("coupon-key-x.pub.pem"), "no id");
  writeFile(dir.file("coupon-key-2.pub.pem.bak"), "backup");

  auto verifier = loadCouponVerifier(dir.path());
  REQUIRE(verifier.ok());
  CHECK(verifier->keyCount() == 2);

  auto signer1 = loadCouponSigner(dir.path(), 1);
  auto signer2 = loadCouponSigner(dir.path(), 65535);
  REQUIRE(signer1.ok());
  REQUIRE(signer2.ok());
  CHECK(signer1->keyId() == 1);
  CHECK(signer2->keyId() == 65535);

  const std::string code1 = signSample(*signer1);
  const std::string code2 = signSample(*signer2);
  const CouponCheck check1 = verifier->verify(code1, kCard, "2025-01-15");
  const CouponCheck check2 = verifier->verify(code2, kCard, "2025-01-15");
  REQUIRE(check1.accepted);
  REQUIRE(check2.accepted);
  CHECK(check1.claims->keyId == 1);
  CHECK(check2.claims->keyId == 65535);

  // A code signed by a key outside the directory is still refused.
  const std::string foreign = signSample(signerFor(key1(), 1));
  CHECK(verifier->verify(foreign, kCard, "2025-01-15").reason == kCouponBadSignature);
}

TEST_CASE("CouponCode: a verifier needs only the public files", "[protocol][coupon]") {
  TempDir dir("loyalty-coupon-keys");
  writeFile(dir.file("coupon-key-0.pub.pem"), key1().publicPem);
  auto verifier = loadCouponVerifier(dir.path());
  REQUIRE(verifier.ok());
  CHECK(verifier->keyCount() == 1);
  CHECK(verifier->verify(signSample(signerFor(key1(), 0)), kCard, "2025-01-15").accepted);

  // No private key file: the signer cannot be loaded.
  auto signer = loadCouponSigner(dir.path(), 0);
  REQUIRE_FALSE(signer.ok());
  CHECK(signer.error().code == ErrorCode::kInvalidValue);
}

TEST_CASE("CouponCode: a corrupt public key file makes the whole directory an error",
          "[protocol][coupon]") {
  TempDir dir("loyalty-coupon-keys");
  writeKeyPair(dir, 1, key1());
  writeFile(dir.file("coupon-key-2.pub.pem"),
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAgarbage\n-----END PUBLIC KEY-----\n");
  auto verifier = loadCouponVerifier(dir.path());
  REQUIRE_FALSE(verifier.ok());
  CHECK(verifier.error().code == ErrorCode::kInvalidValue);
  CHECK(verifier.error().message.find("coupon-key-2.pub.pem") != std::string::npos);
}

TEST_CASE("CouponCode: a private key in a .pub.pem file is an error", "[protocol][coupon]") {
  TempDir dir("loyalty-coupon-keys");
  writeFile(dir.file("coupon-key-3.pub.pem"), key1().privatePem);
  auto verifier = loadCouponVerifier(dir.path());
  REQUIRE_FALSE(verifier.ok());
  CHECK(verifier.error().code == ErrorCode::kInvalidValue);
}

TEST_CASE("CouponCode: an empty or missing key directory is an error", "[protocol][coupon]") {
  TempDir dir("loyalty-coupon-keys");
  auto empty = loadCouponVerifier(dir.path());
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().code == ErrorCode::kInvalidValue);

  // Only private keys and unrelated files: still no public key.
  writeFile(dir.file("coupon-key-1.pem"), key1().privatePem);
  writeFile(dir.file("notes.txt"), "hello");
  auto onlyPrivate = loadCouponVerifier(dir.path());
  REQUIRE_FALSE(onlyPrivate.ok());
  CHECK(onlyPrivate.error().code == ErrorCode::kInvalidValue);

  auto missing = loadCouponVerifier(dir.file("does-not-exist"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::kInvalidValue);
  auto missingSigner = loadCouponSigner(dir.file("does-not-exist"), 1);
  REQUIRE_FALSE(missingSigner.ok());
  CHECK(missingSigner.error().code == ErrorCode::kInvalidValue);
}

TEST_CASE("CouponCode: loadCouponSigner refuses a corrupt or public-only private key file",
          "[protocol][coupon]") {
  TempDir dir("loyalty-coupon-keys");
  writeFile(dir.file("coupon-key-4.pem"), key1().publicPem);  // a public key in the private file
  writeFile(dir.file("coupon-key-5.pem"), "garbage");
  writeKeyPair(dir, 6, key2());
  for (const uint16_t keyId : {uint16_t{4}, uint16_t{5}, uint16_t{7}}) {
    auto signer = loadCouponSigner(dir.path(), keyId);
    REQUIRE_FALSE(signer.ok());
    CHECK(signer.error().code == ErrorCode::kInvalidValue);
  }
  auto good = loadCouponSigner(dir.path(), 6);
  REQUIRE(good.ok());
  CouponVerifier verifier;
  REQUIRE(verifier.addPublicKeyPem(6, key2().publicPem).ok());
  CHECK(verifier.verify(signSample(*good), kCard, "2025-01-15").accepted);
}
