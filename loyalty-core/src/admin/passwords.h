// Password hashes and bearer tokens of the admin API (docs/admin-api.md, "Authentication").
//
// Passwords are stored as "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>": PBKDF2-HMAC-SHA256
// (OpenSSL) over the password with a 16-byte random salt, 32-byte output. Verification recomputes
// the hash with the stored salt and iterations and compares in constant time.
//
// Tokens are 32 random bytes written as 64 lowercase hex characters. The user gets the token
// once, at login; the store keeps only tokenHash(token), the hex SHA-256 of the token text.
//
// Thread safety: all functions are re-entrant (OpenSSL's RNG and digests are thread-safe).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "loyalty/base/result.h"

namespace loyalty::core::admin {

inline constexpr int64_t kMinPasswordIterations = 1'000;
inline constexpr int64_t kMaxPasswordIterations = 10'000'000;
inline constexpr size_t kMinPasswordLength = 8;
inline constexpr size_t kMaxPasswordLength = 1'024;
inline constexpr size_t kSaltBytes = 16;
inline constexpr size_t kPasswordHashBytes = 32;
inline constexpr size_t kTokenBytes = 32;

// The stored form of password. Requires: iterations within
// [kMinPasswordIterations, kMaxPasswordIterations]. Errors: kInternal when OpenSSL fails.
base::Result<std::string> hashPassword(std::string_view password, int64_t iterations);

// True when password matches stored (a hashPassword() text). A stored text that does not parse
// (wrong scheme, bad hex, iterations out of range) never matches.
bool verifyPassword(std::string_view password, std::string_view stored);

// True when stored has the form hashPassword() produces.
bool isPasswordHash(std::string_view stored);

// A new random bearer token (64 hex characters). Errors: kInternal when the RNG fails.
base::Result<std::string> newToken();

// The hex SHA-256 of token: what the store keeps (domain::Token::hash).
std::string tokenHash(std::string_view token);

// True for 64 lowercase hex characters (the form newToken() gives).
bool looksLikeToken(std::string_view token);

}  // namespace loyalty::core::admin
