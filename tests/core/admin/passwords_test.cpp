// Password hashes and tokens (loyalty-core/src/admin/passwords.h), and login/authenticate with a
// ManualClock (admin/auth.h).
#include "admin/passwords.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "admin/auth.h"
#include "core/admin/admin_test_util.h"
#include "storage/memory/memory_store.h"
#include "support/manual_clock.h"

namespace loyalty::core::admin {
namespace {

using base::ErrorCode;

constexpr int64_t kFastIterations = 1'000;  // the minimum: keeps the tests quick

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at - start));
    if (at == std::string::npos) {
      return out;
    }
    start = at + 1;
  }
}

TEST_CASE("Passwords: the stored form is pbkdf2-sha256$iterations$salt$hash", "[admin]") {
  auto hash = hashPassword("correct horse", kFastIterations);
  REQUIRE(hash.ok());
  const auto parts = split(hash.value(), '$');
  REQUIRE(parts.size() == 4);
  CHECK(parts[0] == "pbkdf2-sha256");
  CHECK(parts[1] == "1000");
  CHECK(parts[2].size() == 32);  // 16-byte salt
  CHECK(parts[3].size() == 64);  // 32-byte hash
  CHECK(parts[2].find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(parts[3].find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(isPasswordHash(hash.value()));
  CHECK(hash.value().find("correct horse") == std::string::npos);
}

TEST_CASE("Passwords: verify accepts the password and nothing else", "[admin]") {
  auto hash = hashPassword("correct horse", kFastIterations);
  REQUIRE(hash.ok());
  CHECK(verifyPassword("correct horse", hash.value()));
  CHECK_FALSE(verifyPassword("correct hors", hash.value()));
  CHECK_FALSE(verifyPassword("correct horse ", hash.value()));
  CHECK_FALSE(verifyPassword("", hash.value()));
  CHECK_FALSE(verifyPassword("Correct horse", hash.value()));
}

TEST_CASE("Passwords: the same password gets a new salt every time", "[admin]") {
  auto a = hashPassword("same password", kFastIterations);
  auto b = hashPassword("same password", kFastIterations);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a.value() != b.value());
  CHECK(split(a.value(), '$')[2] != split(b.value(), '$')[2]);
  CHECK(verifyPassword("same password", a.value()));
  CHECK(verifyPassword("same password", b.value()));
}

TEST_CASE("Passwords: a published PBKDF2-HMAC-SHA256 vector verifies", "[admin]") {
  // P = "password", S = "salt" (hex 73616c74), c = 4096, dkLen = 32.
  const std::string stored =
      "pbkdf2-sha256$4096$73616c74$"
      "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a";
  CHECK(isPasswordHash(stored));
  CHECK(verifyPassword("password", stored));
  CHECK_FALSE(verifyPassword("passwore", stored));
}

TEST_CASE("Passwords: malformed stored texts never match", "[admin]") {
  auto good = hashPassword("pw-12345678", kFastIterations);
  REQUIRE(good.ok());
  const auto parts = split(good.value(), '$');
  const std::string salt = parts[2];
  const std::string hash = parts[3];
  for (const std::string& bad : {
           std::string(""),
           std::string("pbkdf2-sha256"),
           "pbkdf2-sha1$1000$" + salt + "$" + hash,
           "pbkdf2-sha256$$" + salt + "$" + hash,
           "pbkdf2-sha256$abc$" + salt + "$" + hash,
           "pbkdf2-sha256$999$" + salt + "$" + hash,             // below the minimum
           "pbkdf2-sha256$10000001$" + salt + "$" + hash,        // above the maximum
           "pbkdf2-sha256$1000$" + salt.substr(1) + "$" + hash,  // odd hex
           "pbkdf2-sha256$1000$" + salt + "$" + hash.substr(2),  // short hash
           "pbkdf2-sha256$1000$zz" + salt.substr(2) + "$" + hash,
           "pbkdf2-sha256$1000$" + salt + "$" + hash + "$extra",
       }) {
    INFO(bad);
    CHECK_FALSE(isPasswordHash(bad));
    CHECK_FALSE(verifyPassword("pw-12345678", bad));
  }
  CHECK_FALSE(hashPassword("x", 999).ok());
  CHECK_FALSE(hashPassword("x", kMaxPasswordIterations + 1).ok());
}

TEST_CASE("Tokens: 64 random hex characters; the store keeps their SHA-256", "[admin]") {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto token = newToken();
    REQUIRE(token.ok());
    CHECK(token.value().size() == 64);
    CHECK(looksLikeToken(token.value()));
    CHECK(seen.insert(token.value()).second);
  }
  // FIPS 180-2 test vector.
  CHECK(tokenHash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK_FALSE(looksLikeToken(std::string(63, 'a')));
  CHECK_FALSE(looksLikeToken(std::string(64, 'g')));
  CHECK_FALSE(looksLikeToken(std::string(64, 'A')));
}

TEST_CASE("Tokens: login gives a token that works until it expires", "[admin]") {
  testing::ManualClock clock;
  storage::InMemoryStore store;
  AdminOptions options;
  options.passwordIterations = kFastIterations;
  options.tokenMinutes = 60;
  REQUIRE(ensureBootstrapUser(store, "root", "root-password", options, clock.nowMs()).ok());

  auto in = login(store, "root", "root-password", options, clock.nowMs());
  REQUIRE(in.ok());
  CHECK(in->expiresAtMs == clock.nowMs() + 60 * 60'000);
  CHECK(in->user.role == domain::Role::kHqAdmin);
  CHECK(in->user.passwordHash.empty());

  // Only the hash is stored.
  auto stored = store.findToken(tokenHash(in->token));
  REQUIRE(stored.ok());
  REQUIRE(stored.value().has_value());
  CHECK(stored.value()->user == "root");
  CHECK(stored.value()->hash != in->token);
  auto byToken = store.findToken(in->token);
  REQUIRE(byToken.ok());
  CHECK_FALSE(byToken.value().has_value());

  const std::string header = "Bearer " + in->token;
  auto user = authenticate(store, header, clock.nowMs());
  REQUIRE(user.ok());
  CHECK(user->name == "root");
  CHECK(user->passwordHash.empty());
  CHECK(authenticate(store, "bearer  " + in->token, clock.nowMs()).ok());  // scheme case

  clock.advanceMs(60 * 60'000 - 1);
  CHECK(authenticate(store, header, clock.nowMs()).ok());
  clock.advanceMs(1);
  auto expired = authenticate(store, header, clock.nowMs());
  REQUIRE_FALSE(expired.ok());
  CHECK(expired.error().code == ErrorCode::kUnauthorized);
}

TEST_CASE("Tokens: wrong password, unknown user and disabled user get the same 401", "[admin]") {
  testing::ManualClock clock;
  storage::InMemoryStore store;
  AdminOptions options;
  options.passwordIterations = kFastIterations;
  REQUIRE(ensureBootstrapUser(store, "root", "root-password", options, clock.nowMs()).ok());

  auto wrong = login(store, "root", "root-passwore", options, clock.nowMs());
  auto unknown = login(store, "nobody", "root-password", options, clock.nowMs());
  REQUIRE_FALSE(wrong.ok());
  REQUIRE_FALSE(unknown.ok());
  CHECK(wrong.error().code == ErrorCode::kUnauthorized);
  CHECK(unknown.error().code == ErrorCode::kUnauthorized);
  CHECK(wrong.error().message == unknown.error().message);

  auto token = login(store, "root", "root-password", options, clock.nowMs());
  REQUIRE(token.ok());
  auto user = store.findUser("root");
  REQUIRE(user.ok());
  domain::User disabled = *user.value();
  disabled.disabled = true;
  REQUIRE(store.write([&](domain::StoreWriter& w) { return w.updateUser(disabled); }).ok());
  CHECK(authenticate(store, "Bearer " + token->token, clock.nowMs()).error().code ==
        ErrorCode::kUnauthorized);
  auto again = login(store, "root", "root-password", options, clock.nowMs());
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().message == wrong.error().message);
}

TEST_CASE("Tokens: malformed Authorization headers are 401", "[admin]") {
  testing::ManualClock clock;
  storage::InMemoryStore store;
  for (const std::string& header :
       {std::string(""), std::string("Bearer"), std::string("Bearer "),
        std::string("Basic cm9vdDpwdw=="), "Token " + std::string(64, 'a'),
        "Bearer " + std::string(64, 'a'), "Bearer " + std::string(65, 'a')}) {
    INFO(header);
    auto user = authenticate(store, header, clock.nowMs());
    REQUIRE_FALSE(user.ok());
    CHECK(user.error().code == ErrorCode::kUnauthorized);
  }
}

TEST_CASE("Bootstrap user: created on the first start only", "[admin]") {
  testing::ManualClock clock;
  storage::InMemoryStore store;
  AdminOptions options;
  options.passwordIterations = kFastIterations;
  CHECK(ensureBootstrapUser(store, "", "long-enough", options, clock.nowMs()).error().code ==
        ErrorCode::kInvalidValue);
  CHECK(ensureBootstrapUser(store, "root", "short", options, clock.nowMs()).error().code ==
        ErrorCode::kInvalidValue);
  REQUIRE(store.users().ok());
  CHECK(store.users().value().empty());

  REQUIRE(ensureBootstrapUser(store, "root", "first-password", options, clock.nowMs()).ok());
  REQUIRE(ensureBootstrapUser(store, "root", "second-password", options, clock.nowMs()).ok());
  REQUIRE(ensureBootstrapUser(store, "other", "third-password", options, clock.nowMs()).ok());
  auto users = store.users();
  REQUIRE(users.ok());
  REQUIRE(users.value().size() == 1);
  CHECK(users.value()[0].name == "root");
  CHECK(users.value()[0].role == domain::Role::kHqAdmin);
  CHECK(verifyPassword("first-password", users.value()[0].passwordHash));
  CHECK(login(store, "root", "first-password", options, clock.nowMs()).ok());
  CHECK_FALSE(login(store, "root", "second-password", options, clock.nowMs()).ok());
  // The creation is in the audit log.
  auto audit = store.audit(0, 10);
  REQUIRE(audit.ok());
  REQUIRE(audit.value().size() == 1);
  CHECK(audit.value()[0].action == "user.bootstrap");
  CHECK(audit.value()[0].after.find("passwordHash") == std::string::npos);
  CHECK(audit.value()[0].after.find("pbkdf2") == std::string::npos);
}

}  // namespace
}  // namespace loyalty::core::admin
