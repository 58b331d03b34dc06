// Signed coupon codes: layout, Crockford base32, Ed25519 through the OpenSSL 3 EVP API.
// See loyalty/protocol/coupon_code.h and docs/protocol.md, "Coupon codes".
#include "loyalty/protocol/coupon_code.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <climits>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

#include "loyalty/protocol/card.h"

namespace loyalty::protocol {

using base::ErrorCode;
using base::makeError;
using base::Result;
using base::Status;

// An Ed25519 EVP_PKEY, freed with the last owner. OpenSSL 3 allows one EVP_PKEY to be used for
// signing or verifying from several threads at once, each with its own EVP_MD_CTX.
class CouponKey {
 public:
  explicit CouponKey(EVP_PKEY* pkey) : pkey_(pkey) {}
  ~CouponKey() { EVP_PKEY_free(pkey_); }
  CouponKey(const CouponKey&) = delete;
  CouponKey& operator=(const CouponKey&) = delete;

  EVP_PKEY* get() const { return pkey_; }

 private:
  EVP_PKEY* pkey_;
};

namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
static_assert(kAlphabet.size() == 32);
static_assert(kCouponCodeBytes == 89 && kCouponCodeLength == 146);

// Offsets of the payload fields (big-endian).
constexpr size_t kOffVersion = 0;
constexpr size_t kOffSerial = 1;
constexpr size_t kOffCard = 9;
constexpr size_t kOffCampaign = 17;
constexpr size_t kOffExpiry = 21;
constexpr size_t kOffKeyId = 23;
static_assert(kOffKeyId + 2 == kCouponPayloadBytes);

using CodeBytes = std::array<uint8_t, kCouponCodeBytes>;

// ---- Dates -------------------------------------------------------------------------------------

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
constexpr int64_t daysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// The inverse of daysFromCivil, as "YYYY-MM-DD" (years 0000..9999).
std::string civilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  std::string out = "0000-00-00";
  int64_t rest = y;
  for (int i = 3; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>('0' + rest % 10);
    rest /= 10;
  }
  out[5] = static_cast<char>('0' + m / 10);
  out[6] = static_cast<char>('0' + m % 10);
  out[8] = static_cast<char>('0' + d / 10);
  out[9] = static_cast<char>('0' + d % 10);
  return out;
}

bool isLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Days since 1970-01-01 of a strict "YYYY-MM-DD" calendar date, or nullopt.
std::optional<int64_t> parseDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') {
    return std::nullopt;
  }
  int64_t fields[3] = {0, 0, 0};
  const size_t starts[3] = {0, 5, 8};
  const size_t lengths[3] = {4, 2, 2};
  for (size_t f = 0; f < 3; ++f) {
    for (size_t i = starts[f]; i < starts[f] + lengths[f]; ++i) {
      if (s[i] < '0' || s[i] > '9') {
        return std::nullopt;
      }
      fields[f] = fields[f] * 10 + (s[i] - '0');
    }
  }
  const int64_t y = fields[0];
  const int64_t m = fields[1];
  const int64_t d = fields[2];
  static constexpr int64_t kMonthDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) {
    return std::nullopt;
  }
  const int64_t monthDays = kMonthDays[m - 1] + (m == 2 && isLeapYear(y) ? 1 : 0);
  if (d > monthDays) {
    return std::nullopt;
  }
  return daysFromCivil(y, m, d);
}

constexpr int64_t kExpiryEpoch = daysFromCivil(2000, 1, 1);  // expiry day 0
static_assert(kExpiryEpoch == 10957);

// ---- Byte layout -------------------------------------------------------------------------------

void putBigEndian(uint8_t* out, uint64_t value, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) {
    out[bytes - 1 - i] = static_cast<uint8_t>(value & 0xFF);
    value >>= 8;
  }
}

uint64_t getBigEndian(const uint8_t* in, size_t bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < bytes; ++i) {
    value = (value << 8) | in[i];
  }
  return value;
}

// The card number of a code: 13..19 digits (so no leading zero), Luhn-valid.
bool isCodableCard(std::string_view card) {
  return isValidCard(card) && card.front() != '0';
}

uint64_t cardValue(std::string_view card) {
  uint64_t value = 0;
  for (const char c : card) {
    value = value * 10 + static_cast<uint64_t>(c - '0');  // 19 digits < 2^64
  }
  return value;
}

struct DecodedCode {
  CouponClaims claims;
  CodeBytes bytes{};
};

Result<DecodedCode> decodeCode(std::string_view code) {
  if (code.size() != kCouponCodeLength) {
    return makeError(ErrorCode::kInvalidValue,
                     "a coupon code has " + std::to_string(kCouponCodeLength) + " characters");
  }
  if (code.substr(0, kCouponCodePrefix.size()) != kCouponCodePrefix) {
    return makeError(ErrorCode::kInvalidValue, "a coupon code starts with LC1");
  }
  auto raw = crockfordBase32Decode(code.substr(kCouponCodePrefix.size()));
  if (!raw.ok()) {
    return raw.error();
  }
  if (raw->size() != kCouponCodeBytes) {
    return makeError(ErrorCode::kInvalidValue, "wrong coupon code length");
  }
  DecodedCode out;
  std::copy(raw->begin(), raw->end(), out.bytes.begin());
  const uint8_t* p = out.bytes.data();
  if (p[kOffVersion] != kCouponFormatVersion) {
    return makeError(ErrorCode::kInvalidValue, "unknown coupon format version");
  }
  out.claims.serial = getBigEndian(p + kOffSerial, 8);
  out.claims.card = std::to_string(getBigEndian(p + kOffCard, 8));
  if (!isCodableCard(out.claims.card)) {
    return makeError(ErrorCode::kInvalidValue, "the coupon's card number is not valid");
  }
  out.claims.campaign = static_cast<uint32_t>(getBigEndian(p + kOffCampaign, 4));
  out.claims.expires =
      civilFromDays(kExpiryEpoch + static_cast<int64_t>(getBigEndian(p + kOffExpiry, 2)));
  out.claims.keyId = static_cast<uint16_t>(getBigEndian(p + kOffKeyId, 2));
  return out;
}

// ---- OpenSSL -----------------------------------------------------------------------------------

// Never prompt for a pass phrase: an encrypted PEM simply fails to load.
int noPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return -1; }

enum class PemKind { kPrivate, kPublic };

// The Ed25519 key of a PEM of the given kind, or nullptr. Leaves the OpenSSL error queue empty.
std::shared_ptr<const CouponKey> readEd25519Pem(const std::string& pem, PemKind kind) {
  if (pem.size() > static_cast<size_t>(INT_MAX)) {
    return nullptr;
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  EVP_PKEY* pkey = nullptr;
  if (bio != nullptr) {
    pkey = kind == PemKind::kPrivate
               ? PEM_read_bio_PrivateKey(bio.get(), nullptr, &noPassphrase, nullptr)
               : PEM_read_bio_PUBKEY(bio.get(), nullptr, &noPassphrase, nullptr);
  }
  ERR_clear_error();
  if (pkey == nullptr) {
    return nullptr;
  }
  auto key = std::make_shared<const CouponKey>(pkey);
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519) {
    return nullptr;
  }
  return key;
}

using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

bool verifySignature(const CouponKey& key, const CodeBytes& bytes) {
  MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  const bool ok =
      ctx != nullptr &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), bytes.data() + kCouponPayloadBytes, kCouponSignatureBytes,
                       bytes.data(), kCouponPayloadBytes) == 1;
  ERR_clear_error();
  return ok;
}

CouponCheck refuse(std::string_view reason) {
  CouponCheck check;
  check.reason = std::string(reason);
  return check;
}


// ---- Key files ---------------------------------------------------------------------------------

constexpr std::string_view kKeyFilePrefix = "coupon-key-";
constexpr std::string_view kPrivateKeySuffix = ".pem";
constexpr std::string_view kPublicKeySuffix = ".pub.pem";
constexpr std::uintmax_t kMaxKeyFileBytes = 64 * 1024;  // an Ed25519 PEM is ~120 bytes

std::string keyFileName(uint16_t keyId, std::string_view suffix) {
  return std::string(kKeyFilePrefix) + std::to_string(keyId) + std::string(suffix);
}

// The key id of "coupon-key-<id><suffix>" with <id> in canonical decimal (no sign, no leading
// zero) and at most 65535, or nullopt.
std::optional<uint16_t> keyIdOfFileName(std::string_view name, std::string_view suffix) {
  if (name.size() <= kKeyFilePrefix.size() + suffix.size() ||
      name.substr(0, kKeyFilePrefix.size()) != kKeyFilePrefix ||
      name.substr(name.size() - suffix.size()) != suffix) {
    return std::nullopt;
  }
  const std::string_view digits =
      name.substr(kKeyFilePrefix.size(), name.size() - kKeyFilePrefix.size() - suffix.size());
  if (digits.size() > 5 || (digits.size() > 1 && digits.front() == '0')) {
    return std::nullopt;
  }
  uint32_t value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > UINT16_MAX) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(value);
}

// The whole text of a key file. Fails on a missing, unreadable or oversized file.
Result<std::string> readKeyFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return makeError(ErrorCode::kInvalidValue, "no key file " + path.string());
  }
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec || size > kMaxKeyFileBytes) {
    return makeError(ErrorCode::kInvalidValue,
                     "key file " + path.string() + " cannot be read or is too large");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return makeError(ErrorCode::kInvalidValue, "cannot open key file " + path.string());
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    return makeError(ErrorCode::kInvalidValue, "cannot read key file " + path.string());
  }
  return text;
}

}  // namespace

bool operator==(const CouponClaims& a, const CouponClaims& b) {
  return a.serial == b.serial && a.card == b.card && a.campaign == b.campaign &&
         a.expires == b.expires && a.keyId == b.keyId;
}

// ---- CouponSigner ------------------------------------------------------------------------------

CouponSigner::CouponSigner(std::shared_ptr<const CouponKey> key, uint16_t keyId)
    : key_(std::move(key)), keyId_(keyId) {}

Result<CouponSigner> CouponSigner::fromPem(const std::string& pem, uint16_t keyId) {
  auto key = readEd25519Pem(pem, PemKind::kPrivate);
  if (key == nullptr) {
    return makeError(ErrorCode::kInvalidValue,
                     "not an unencrypted Ed25519 private key in PEM form");
  }
  return CouponSigner(std::move(key), keyId);
}

Result<std::string> CouponSigner::sign(const CouponClaims& claims) const {
  if (!isCodableCard(claims.card)) {
    return makeError(ErrorCode::kInvalidCard,
                     "a coupon card must be 13..19 digits, Luhn-valid, not starting with 0");
  }
  const std::optional<int64_t> expires = parseDate(claims.expires);
  if (!expires) {
    return makeError(ErrorCode::kInvalidValue, "expires must be a YYYY-MM-DD date");
  }
  const int64_t expiryDay = *expires - kExpiryEpoch;
  if (expiryDay < 0 || expiryDay > UINT16_MAX) {
    return makeError(ErrorCode::kValueOutOfRange,
                     "expires must be between 2000-01-01 and " +
                         civilFromDays(kExpiryEpoch + UINT16_MAX));
  }
  CodeBytes bytes{};
  uint8_t* p = bytes.data();
  p[kOffVersion] = kCouponFormatVersion;
  putBigEndian(p + kOffSerial, claims.serial, 8);
  putBigEndian(p + kOffCard, cardValue(claims.card), 8);
  putBigEndian(p + kOffCampaign, claims.campaign, 4);
  putBigEndian(p + kOffExpiry, static_cast<uint64_t>(expiryDay), 2);
  putBigEndian(p + kOffKeyId, keyId_, 2);

  MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  size_t signatureLength = kCouponSignatureBytes;
  const bool ok =
      ctx != nullptr &&
      EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_->get()) == 1 &&
      EVP_DigestSign(ctx.get(), p + kCouponPayloadBytes, &signatureLength, p,
                     kCouponPayloadBytes) == 1 &&
      signatureLength == kCouponSignatureBytes;
  ERR_clear_error();
  if (!ok) {
    return makeError(ErrorCode::kInternal, "Ed25519 signing failed");
  }
  return std::string(kCouponCodePrefix) +
         crockfordBase32Encode(std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

// ---- CouponVerifier ----------------------------------------------------------------------------

Status CouponVerifier::addPublicKeyPem(uint16_t keyId, const std::string& pem) {
  if (keys_.count(keyId) != 0) {
    return makeError(ErrorCode::kInvalidValue,
                     "coupon key id " + std::to_string(keyId) + " already has a key");
  }
  auto key = readEd25519Pem(pem, PemKind::kPublic);
  if (key == nullptr) {
    return makeError(ErrorCode::kInvalidValue, "not an Ed25519 public key in PEM form");
  }
  keys_.emplace(keyId, std::move(key));
  return base::okStatus();
}

CouponCheck CouponVerifier::verify(std::string_view code, std::string_view card,
                                   std::string_view today) const {
  auto decoded = decodeCode(code);
  if (!decoded.ok()) {
    return refuse(kCouponMalformed);
  }
  const CouponClaims& claims = decoded->claims;
  const auto key = keys_.find(claims.keyId);
  if (key == keys_.end()) {
    return refuse(kCouponUnknownKey);
  }
  if (!verifySignature(*key->second, decoded->bytes)) {
    return refuse(kCouponBadSignature);
  }
  if (card != claims.card) {
    return refuse(kCouponWrongCard);
  }
  const std::optional<int64_t> todayDays = parseDate(today);
  const std::optional<int64_t> expiresDays = parseDate(claims.expires);
  if (!todayDays || !expiresDays || *todayDays > *expiresDays) {
    return refuse(kCouponExpired);
  }
  CouponCheck check;
  check.accepted = true;
  check.claims = claims;
  return check;
}

// ---- Key files ---------------------------------------------------------------------------------

Result<CouponVerifier> loadCouponVerifier(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(fs::path(dir), ec);
  if (ec) {
    return makeError(ErrorCode::kInvalidValue,
                     "cannot read the coupon key directory " + dir + ": " + ec.message());
  }
  // Collect first, then load in key id order: the outcome does not depend on directory order.
  std::map<uint16_t, fs::path> files;
  const fs::directory_iterator end;
  while (it != end) {
    const fs::path path = it->path();
    const std::optional<uint16_t> keyId =
        keyIdOfFileName(path.filename().string(), kPublicKeySuffix);
    if (keyId) {
      files.emplace(*keyId, path);
    }
    it.increment(ec);
    if (ec) {
      return makeError(ErrorCode::kInvalidValue,
                       "cannot list the coupon key directory " + dir + ": " + ec.message());
    }
  }
  if (files.empty()) {
    return makeError(ErrorCode::kInvalidValue,
                     "no coupon public key (coupon-key-<id>.pub.pem) in " + dir);
  }
  CouponVerifier verifier;
  for (const auto& [keyId, path] : files) {
    auto pem = readKeyFile(path);
    if (!pem.ok()) {
      return pem.error();
    }
    const Status added = verifier.addPublicKeyPem(keyId, *pem);
    if (!added.ok()) {
      return makeError(ErrorCode::kInvalidValue,
                       path.filename().string() + ": " + added.error().message);
    }
  }
  return verifier;
}

Result<CouponSigner> loadCouponSigner(const std::string& dir, uint16_t keyId) {
  const std::string name = keyFileName(keyId, kPrivateKeySuffix);
  auto pem = readKeyFile(std::filesystem::path(dir) / name);
  if (!pem.ok()) {
    return pem.error();
  }
  auto signer = CouponSigner::fromPem(*pem, keyId);
  if (!signer.ok()) {
    return makeError(ErrorCode::kInvalidValue, name + ": " + signer.error().message);
  }
  return signer;
}

// ---- Free functions ----------------------------------------------------------------------------

Result<CouponClaims> decodeCouponClaims(std::string_view code) {
  auto decoded = decodeCode(code);
  if (!decoded.ok()) {
    return decoded.error();
  }
  return decoded->claims;
}

Result<std::string> couponKeyFingerprint(const std::string& pem) {
  auto key = readEd25519Pem(pem, PemKind::kPublic);
  if (key == nullptr) {
    key = readEd25519Pem(pem, PemKind::kPrivate);
  }
  if (key == nullptr) {
    return makeError(ErrorCode::kInvalidValue, "not an Ed25519 key in PEM form");
  }
  std::array<uint8_t, 32> raw{};
  size_t rawLength = raw.size();
  std::array<uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int digestLength = 0;
  const bool ok =
      EVP_PKEY_get_raw_public_key(key->get(), raw.data(), &rawLength) == 1 &&
      rawLength == raw.size() &&
      EVP_Digest(raw.data(), rawLength, digest.data(), &digestLength, EVP_sha256(), nullptr) == 1;
  ERR_clear_error();
  if (!ok) {
    return makeError(ErrorCode::kInternal, "cannot compute the key fingerprint");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < digestLength; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0x0F];
  }
  return out;
}

std::string crockfordBase32Encode(const std::vector<uint8_t>& bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  uint32_t buffer = 0;
  int bits = 0;
  for (const uint8_t b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += kAlphabet[(buffer >> bits) & 0x1F];
    }
    buffer &= (1U << bits) - 1;
  }
  if (bits > 0) {
    out += kAlphabet[(buffer << (5 - bits)) & 0x1F];
  }
  return out;
}

Result<std::vector<uint8_t>> crockfordBase32Decode(std::string_view text) {
  std::vector<uint8_t> out;
  out.reserve(text.size() * 5 / 8);
  uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const size_t value = kAlphabet.find(c);
    if (value == std::string_view::npos) {
      return makeError(ErrorCode::kInvalidValue, "not a Crockford base32 character");
    }
    buffer = (buffer << 5) | static_cast<uint32_t>(value);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((buffer >> bits) & 0xFF));
    }
    buffer &= (1U << bits) - 1;
  }
  if (bits >= 5) {
    return makeError(ErrorCode::kInvalidValue, "not a whole number of base32-encoded bytes");
  }
  if (buffer != 0) {
    return makeError(ErrorCode::kInvalidValue, "non-zero base32 pad bits");
  }
  return out;
}

}  // namespace loyalty::protocol
