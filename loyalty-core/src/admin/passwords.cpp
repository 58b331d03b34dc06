#include "admin/passwords.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <climits>
#include <optional>
#include <vector>

namespace loyalty::core::admin {
namespace {

using base::ErrorCode;

constexpr std::string_view kScheme = "pbkdf2-sha256";

std::string toHex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0x0F]);
  }
  return out;
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::optional<std::vector<unsigned char>> fromHex(std::string_view hex) {
  if (hex.empty() || hex.size() % 2 != 0) {
    return std::nullopt;
  }
  std::vector<unsigned char> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = hexDigit(hex[2 * i]);
    const int lo = hexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return out;
}

struct ParsedHash {
  int64_t iterations = 0;
  std::vector<unsigned char> salt;
  std::vector<unsigned char> hash;
};

std::optional<ParsedHash> parseHash(std::string_view stored) {
  // scheme $ iterations $ salt $ hash
  std::string_view parts[4];
  size_t count = 0;
  while (count < 4) {
    const size_t dollar = stored.find('$');
    if (count == 3) {
      if (dollar != std::string_view::npos) {
        return std::nullopt;
      }
      parts[count++] = stored;
      break;
    }
    if (dollar == std::string_view::npos) {
      return std::nullopt;
    }
    parts[count++] = stored.substr(0, dollar);
    stored.remove_prefix(dollar + 1);
  }
  if (parts[0] != kScheme || parts[1].empty() || parts[1].size() > 8) {
    return std::nullopt;
  }
  ParsedHash out;
  for (const char c : parts[1]) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    out.iterations = out.iterations * 10 + (c - '0');
  }
  if (out.iterations < kMinPasswordIterations || out.iterations > kMaxPasswordIterations) {
    return std::nullopt;
  }
  auto salt = fromHex(parts[2]);
  auto hash = fromHex(parts[3]);
  if (!salt || salt->size() > 64 || !hash || hash->size() != kPasswordHashBytes) {
    return std::nullopt;
  }
  out.salt = std::move(*salt);
  out.hash = std::move(*hash);
  return out;
}

bool pbkdf2(std::string_view password, const std::vector<unsigned char>& salt, int64_t iterations,
            unsigned char* out, size_t outSize) {
  if (password.size() > static_cast<size_t>(INT_MAX) || iterations > INT_MAX) {
    return false;
  }
  return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                           static_cast<int>(salt.size()), static_cast<int>(iterations),
                           EVP_sha256(), static_cast<int>(outSize), out) == 1;
}

}  // namespace

base::Result<std::string> hashPassword(std::string_view password, int64_t iterations) {
  if (iterations < kMinPasswordIterations || iterations > kMaxPasswordIterations) {
    return base::makeError(ErrorCode::kValueOutOfRange, "password iterations must be between " +
                                                            std::to_string(kMinPasswordIterations) +
                                                            " and " +
                                                            std::to_string(kMaxPasswordIterations));
  }
  std::vector<unsigned char> salt(kSaltBytes);
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    return base::makeError(ErrorCode::kInternal, "the random number generator failed");
  }
  unsigned char hash[kPasswordHashBytes];
  if (!pbkdf2(password, salt, iterations, hash, sizeof hash)) {
    return base::makeError(ErrorCode::kInternal, "PBKDF2 failed");
  }
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" +
         toHex(salt.data(), salt.size()) + "$" + toHex(hash, sizeof hash);
}

bool verifyPassword(std::string_view password, std::string_view stored) {
  const auto parsed = parseHash(stored);
  if (!parsed) {
    return false;
  }
  unsigned char hash[kPasswordHashBytes];
  if (!pbkdf2(password, parsed->salt, parsed->iterations, hash, sizeof hash)) {
    return false;
  }
  return CRYPTO_memcmp(hash, parsed->hash.data(), sizeof hash) == 0;
}

bool isPasswordHash(std::string_view stored) { return parseHash(stored).has_value(); }

base::Result<std::string> newToken() {
  unsigned char bytes[kTokenBytes];
  if (RAND_bytes(bytes, static_cast<int>(sizeof bytes)) != 1) {
    return base::makeError(ErrorCode::kInternal, "the random number generator failed");
  }
  return toHex(bytes, sizeof bytes);
}

std::string tokenHash(std::string_view token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  return toHex(digest, sizeof digest);
}

bool looksLikeToken(std::string_view token) {
  if (token.size() != kTokenBytes * 2) {
    return false;
  }
  for (const char c : token) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace loyalty::core::admin
