// Unit tests of loyalty-ca's library (tools/loyalty-ca/ca.h) with a fixed clock: what init, issue
// and revoke write, checked independently with OpenSSL's own chain and CRL verification.
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <ctime>
#include <memory>
#include <string>

#include "loyalty-ca/ca.h"
#include "support/test_support.h"

namespace loyalty::tools::ca {
namespace {

using base::ErrorCode;
using loyalty::testing::readFile;
using loyalty::testing::TempDir;
using loyalty::testing::writeFile;

constexpr int64_t kNow = 1'767'225'600;  // 2026-01-01 00:00:00 UTC
constexpr int64_t kDay = 86'400;

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_CRL* p) const { X509_CRL_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using CertPtr = std::unique_ptr<X509, X509Free>;
using CrlPtr = std::unique_ptr<X509_CRL, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, X509Free>;

CertPtr loadCert(const std::string& path) {
  const std::string pem = readFile(path);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  CertPtr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  ERR_clear_error();
  return cert;
}

CrlPtr loadCrl(const std::string& path) {
  const std::string pem = readFile(path);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  CrlPtr crl(PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  ERR_clear_error();
  return crl;
}

KeyPtr loadKey(const std::string& path) {
  const std::string pem = readFile(path);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  KeyPtr key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  ERR_clear_error();
  return key;
}

int64_t epochOf(const ASN1_TIME* time) {
  struct tm parts {};
  REQUIRE(ASN1_TIME_to_tm(time, &parts) == 1);
  return static_cast<int64_t>(::timegm(&parts));
}

unsigned fileMode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<unsigned>(st.st_mode & 0777);
}

// OpenSSL's verdict on cert for purpose at time `at`, against the CA (and the CRL when given):
// X509_V_OK or the X509_V_ERR_* code.
int verify(const std::string& caDir, const std::string& certPath, int purpose, int64_t at,
           bool withCrl) {
  CertPtr ca = loadCert(caDir + "/" + kCaCertFile);
  CertPtr cert = loadCert(certPath);
  REQUIRE(ca != nullptr);
  REQUIRE(cert != nullptr);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca.get());
  if (withCrl) {
    CrlPtr crl = loadCrl(caDir + "/" + kCaCrlFile);
    REQUIRE(crl != nullptr);
    X509_STORE_add_crl(store, crl.get());
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  }
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert.get(), nullptr);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  X509_STORE_CTX_set_time(ctx, 0, static_cast<time_t>(at));
  const int ok = X509_verify_cert(ctx);
  const int error = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  ERR_clear_error();
  return error;
}

struct Fixture {
  TempDir dir{"loyalty-ca-test"};
  std::string ca = dir.file("ca");
  std::string out = dir.file("out");

  Fixture() { REQUIRE(initCa(ca, "Test Chain CA", kNow).ok()); }

  IssueOutcome terminal(const std::string& store, const std::string& till, int64_t at = kNow) {
    IssueRequest request;
    request.kind = CertKind::kTerminal;
    request.store = store;
    request.terminal = till;
    auto issued = issue(ca, request, out, at);
    REQUIRE(issued.ok());
    return *issued;
  }

  IssueOutcome server(const std::string& host) {
    IssueRequest request;
    request.kind = CertKind::kServer;
    request.host = host;
    auto issued = issue(ca, request, out, kNow);
    REQUIRE(issued.ok());
    return *issued;
  }
};

TEST_CASE("loyalty-ca: init creates a 10-year P-256 CA, a 0600 key and an empty signed CRL",
          "[tools]") {
  TempDir dir("loyalty-ca-test");
  auto done = initCa(dir.file("ca"), "Test Chain CA", kNow);
  REQUIRE(done.ok());
  CHECK(done->subject == "CN=Test Chain CA");
  CHECK(fileMode(done->keyPath) == 0600);
  CHECK(fileMode(dir.file("ca")) == 0700);

  CertPtr cert = loadCert(done->certPath);
  KeyPtr key = loadKey(done->keyPath);
  REQUIRE(cert != nullptr);
  REQUIRE(key != nullptr);
  CHECK(X509_check_ca(cert.get()) != 0);
  CHECK(X509_check_private_key(cert.get(), key.get()) == 1);
  CHECK(X509_verify(cert.get(), key.get()) == 1);  // self-signed
  CHECK(EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_EC);
  char group[32] = "";
  size_t length = 0;
  REQUIRE(EVP_PKEY_get_group_name(key.get(), group, sizeof(group), &length) == 1);
  CHECK(std::string(group) == "prime256v1");
  CHECK(epochOf(X509_get0_notAfter(cert.get())) == kNow + kCaValidityDays * kDay);
  CHECK(epochOf(X509_get0_notBefore(cert.get())) <= kNow);

  CrlPtr crl = loadCrl(done->crlPath);
  REQUIRE(crl != nullptr);
  CHECK(X509_CRL_verify(crl.get(), key.get()) == 1);
  CHECK(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get())) <= 0);
  CHECK(epochOf(X509_CRL_get0_lastUpdate(crl.get())) <= kNow);  // never ahead of the clock
}

TEST_CASE("loyalty-ca: init refuses to overwrite an existing CA", "[tools]") {
  Fixture f;
  const std::string keyBefore = readFile(f.ca + "/" + kCaKeyFile);
  auto again = initCa(f.ca, "Another CA", kNow + 10);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == ErrorCode::kInvalidState);
  CHECK(readFile(f.ca + "/" + kCaKeyFile) == keyBefore);
}

TEST_CASE("loyalty-ca: a terminal certificate is a 2-year TLS client certificate for S/T",
          "[tools]") {
  Fixture f;
  IssueOutcome issued = f.terminal("S042", "T03");
  CHECK(issued.subject == "CN=S042/T03");
  CHECK(issued.keyPath == f.out + "/terminal-S042-T03.key.pem");
  CHECK(issued.certPath == f.out + "/terminal-S042-T03.cert.pem");
  CHECK(fileMode(issued.keyPath) == 0600);
  CHECK_FALSE(issued.clampedToCa);

  CertPtr cert = loadCert(issued.certPath);
  KeyPtr key = loadKey(issued.keyPath);
  REQUIRE(cert != nullptr);
  REQUIRE(key != nullptr);
  CHECK(X509_check_private_key(cert.get(), key.get()) == 1);
  CHECK(X509_check_ca(cert.get()) == 0);
  CHECK(epochOf(X509_get0_notAfter(cert.get())) == kNow + kLeafValidityDays * kDay);
  CHECK(verify(f.ca, issued.certPath, X509_PURPOSE_SSL_CLIENT, kNow, true) == X509_V_OK);
  // Not usable to impersonate the core.
  CHECK(verify(f.ca, issued.certPath, X509_PURPOSE_SSL_SERVER, kNow, true) ==
        X509_V_ERR_INVALID_PURPOSE);
  // Valid until its end, not after.
  CHECK(verify(f.ca, issued.certPath, X509_PURPOSE_SSL_CLIENT, kNow + 729 * kDay, false) ==
        X509_V_OK);
  CHECK(verify(f.ca, issued.certPath, X509_PURPOSE_SSL_CLIENT, kNow + 731 * kDay, false) ==
        X509_V_ERR_CERT_HAS_EXPIRED);
  CHECK(readFile(f.ca + "/" + kIssuedFile).find(issued.serial + "\tterminal\tCN=S042/T03") !=
        std::string::npos);
}

TEST_CASE("loyalty-ca: a server certificate names its host in subjectAltName", "[tools]") {
  Fixture f;
  IssueOutcome byName = f.server("core.store.example");
  IssueOutcome byIp = f.server("127.0.0.1");
  IssueOutcome byIpv6 = f.server("::1");
  CHECK(byIpv6.certPath == f.out + "/server-__1.cert.pem");

  CertPtr named = loadCert(byName.certPath);
  CertPtr ip = loadCert(byIp.certPath);
  CertPtr ip6 = loadCert(byIpv6.certPath);
  CHECK(X509_check_host(named.get(), "core.store.example", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(named.get(), "other.store.example", 0, 0, nullptr) == 0);
  CHECK(X509_check_ip_asc(ip.get(), "127.0.0.1", 0) == 1);
  CHECK(X509_check_ip_asc(ip.get(), "127.0.0.2", 0) == 0);
  CHECK(X509_check_ip_asc(ip6.get(), "::1", 0) == 1);
  CHECK(verify(f.ca, byName.certPath, X509_PURPOSE_SSL_SERVER, kNow, true) == X509_V_OK);
  CHECK(verify(f.ca, byName.certPath, X509_PURPOSE_SSL_CLIENT, kNow, true) ==
        X509_V_ERR_INVALID_PURPOSE);
}

TEST_CASE("loyalty-ca: issue refuses bad names, existing files and a missing CA", "[tools]") {
  Fixture f;
  IssueRequest request;
  request.kind = CertKind::kServer;
  for (const char* host : {"", "bad host", "a,DNS:evil.example", "-leading.example", "x..y"}) {
    INFO(host);
    request.host = host;
    auto refused = issue(f.ca, request, f.out, kNow);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == ErrorCode::kInvalidValue);
  }
  request.kind = CertKind::kTerminal;
  request.store = "S1";
  for (const char* till : {"", "T/1", "T 1", "T123456789012345678901234567890123"}) {
    INFO(till);
    request.terminal = till;
    CHECK_FALSE(issue(f.ca, request, f.out, kNow).ok());
  }

  IssueOutcome first = f.terminal("S1", "T1");
  const std::string keyBefore = readFile(first.keyPath);
  request.terminal = "T1";
  auto again = issue(f.ca, request, f.out, kNow + 1);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == ErrorCode::kInvalidState);
  CHECK(readFile(first.keyPath) == keyBefore);  // never overwritten

  auto noCa = issue(f.dir.file("missing"), request, f.dir.file("elsewhere"), kNow);
  REQUIRE_FALSE(noCa.ok());
  CHECK(noCa.error().code == ErrorCode::kInvalidValue);
}

TEST_CASE("loyalty-ca: a certificate never outlives the CA", "[tools]") {
  Fixture f;
  const int64_t late = kNow + (kCaValidityDays - 100) * kDay;
  IssueOutcome issued = f.terminal("S1", "T9", late);
  CHECK(issued.clampedToCa);
  CertPtr cert = loadCert(issued.certPath);
  CHECK(epochOf(X509_get0_notAfter(cert.get())) == kNow + kCaValidityDays * kDay);

  IssueRequest request;
  request.kind = CertKind::kTerminal;
  request.store = "S1";
  request.terminal = "T10";
  auto expired = issue(f.ca, request, f.out, kNow + (kCaValidityDays + 1) * kDay);
  REQUIRE_FALSE(expired.ok());
  CHECK(expired.error().code == ErrorCode::kInvalidState);
}

TEST_CASE("loyalty-ca: revoke puts the serial in a re-signed CRL that OpenSSL enforces",
          "[tools]") {
  Fixture f;
  IssueOutcome lost = f.terminal("S1", "T1");
  IssueOutcome kept = f.terminal("S1", "T2");
  REQUIRE(verify(f.ca, lost.certPath, X509_PURPOSE_SSL_CLIENT, kNow, true) == X509_V_OK);

  auto revoked = revokeCertificate(f.ca, lost.certPath, kNow + 60);
  REQUIRE(revoked.ok());
  CHECK(revoked->serial == lost.serial);
  CHECK(revoked->subject == "CN=S1/T1");
  CHECK_FALSE(revoked->alreadyRevoked);
  CHECK(revoked->crlNumber == 2);
  CHECK(revoked->revokedCount == 1);

  CHECK(verify(f.ca, lost.certPath, X509_PURPOSE_SSL_CLIENT, kNow + 61, true) ==
        X509_V_ERR_CERT_REVOKED);
  CHECK(verify(f.ca, kept.certPath, X509_PURPOSE_SSL_CLIENT, kNow + 61, true) == X509_V_OK);
  // Even checked at once on a clock a little behind the CA's, the CRL is already valid.
  CHECK(verify(f.ca, lost.certPath, X509_PURPOSE_SSL_CLIENT, kNow + 60 - 120, true) ==
        X509_V_ERR_CERT_REVOKED);

  CrlPtr crl = loadCrl(f.ca + "/" + kCaCrlFile);
  KeyPtr caKey = loadKey(f.ca + "/" + kCaKeyFile);
  CHECK(X509_CRL_verify(crl.get(), caKey.get()) == 1);

  // Again: nothing changes.
  const std::string crlBefore = readFile(f.ca + "/" + kCaCrlFile);
  auto twice = revokeCertificate(f.ca, lost.certPath, kNow + 120);
  REQUIRE(twice.ok());
  CHECK(twice->alreadyRevoked);
  CHECK(readFile(f.ca + "/" + kCaCrlFile) == crlBefore);

  // A second revocation keeps the first.
  auto second = revokeCertificate(f.ca, kept.certPath, kNow + 180);
  REQUIRE(second.ok());
  CHECK(second->crlNumber == 3);
  CHECK(second->revokedCount == 2);
  CHECK(verify(f.ca, lost.certPath, X509_PURPOSE_SSL_CLIENT, kNow + 181, true) ==
        X509_V_ERR_CERT_REVOKED);
  CHECK(verify(f.ca, kept.certPath, X509_PURPOSE_SSL_CLIENT, kNow + 181, true) ==
        X509_V_ERR_CERT_REVOKED);
}

TEST_CASE("loyalty-ca: revoke by serial needs a serial this CA issued", "[tools]") {
  Fixture f;
  IssueOutcome issued = f.terminal("S7", "T1");
  auto unknown = revokeSerial(f.ca, "0123456789ABCDEF", kNow);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == ErrorCode::kInvalidValue);
  CHECK_FALSE(revokeSerial(f.ca, "not-hex", kNow).ok());

  // Lower case with colons, as other tools print serials.
  std::string typed;
  for (size_t i = 0; i < issued.serial.size(); ++i) {
    typed += static_cast<char>(std::tolower(static_cast<unsigned char>(issued.serial[i])));
    if (i % 2 == 1 && i + 1 < issued.serial.size()) {
      typed += ':';
    }
  }
  auto revoked = revokeSerial(f.ca, typed, kNow + 5);
  REQUIRE(revoked.ok());
  CHECK(revoked->serial == issued.serial);
  CHECK(revoked->subject == "CN=S7/T1");
  CHECK(verify(f.ca, issued.certPath, X509_PURPOSE_SSL_CLIENT, kNow + 6, true) ==
        X509_V_ERR_CERT_REVOKED);
}

TEST_CASE("loyalty-ca: revoke refuses the CA itself and another CA's certificate", "[tools]") {
  Fixture f;
  auto self = revokeCertificate(f.ca, f.ca + "/" + kCaCertFile, kNow);
  REQUIRE_FALSE(self.ok());
  CHECK(self.error().code == ErrorCode::kInvalidValue);

  TempDir other("loyalty-ca-test");
  REQUIRE(initCa(other.file("ca"), "Test Chain CA", kNow).ok());  // same name, other key
  IssueRequest request;
  request.kind = CertKind::kTerminal;
  request.store = "S1";
  request.terminal = "T1";
  auto foreign = issue(other.file("ca"), request, other.file("out"), kNow);
  REQUIRE(foreign.ok());
  auto refused = revokeCertificate(f.ca, foreign->certPath, kNow);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kInvalidState);

  writeFile(f.dir.file("junk.pem"), "not a certificate\n");
  auto junk = revokeCertificate(f.ca, f.dir.file("junk.pem"), kNow);
  REQUIRE_FALSE(junk.ok());
  CHECK(junk.error().code == ErrorCode::kInvalidValue);
}

TEST_CASE("loyalty-ca: show describes certificates, CRLs and keys", "[tools]") {
  Fixture f;
  IssueOutcome issued = f.terminal("S042", "T03");
  IssueOutcome server = f.server("127.0.0.1");
  REQUIRE(revokeCertificate(f.ca, issued.certPath, kNow).ok());

  auto cert = describeFile(issued.certPath, kNow);
  REQUIRE(cert.ok());
  CHECK_THAT(cert->text, Catch::Contains("kind: terminal certificate"));
  CHECK_THAT(cert->text, Catch::Contains("subject: CN=S042/T03"));
  CHECK_THAT(cert->text, Catch::Contains("serial: " + issued.serial));
  CHECK_THAT(cert->text, Catch::Contains("valid for 730 more days"));

  auto expired = describeFile(issued.certPath, kNow + 800 * kDay);
  REQUIRE(expired.ok());
  CHECK_THAT(expired->text, Catch::Contains("status: expired"));

  auto serverText = describeFile(server.certPath, kNow);
  REQUIRE(serverText.ok());
  CHECK_THAT(serverText->text, Catch::Contains("kind: server certificate"));
  CHECK_THAT(serverText->text, Catch::Contains("names: IP:127.0.0.1"));

  auto caText = describeFile(f.ca + "/" + kCaCertFile, kNow);
  REQUIRE(caText.ok());
  CHECK_THAT(caText->text, Catch::Contains("kind: CA certificate"));

  auto crl = describeFile(f.ca + "/" + kCaCrlFile, kNow);
  REQUIRE(crl.ok());
  CHECK_THAT(crl->text, Catch::Contains("kind: certificate revocation list"));
  CHECK_THAT(crl->text, Catch::Contains("revoked: 1"));
  CHECK_THAT(crl->text, Catch::Contains(issued.serial));

  auto key = describeFile(issued.keyPath, kNow);
  REQUIRE(key.ok());
  CHECK_THAT(key->text, Catch::Contains("private key (EC prime256v1"));
  CHECK_FALSE(key->looseKeyPermissions);
  REQUIRE(::chmod(issued.keyPath.c_str(), 0644) == 0);
  CHECK(describeFile(issued.keyPath, kNow)->looseKeyPermissions);

  writeFile(f.dir.file("junk.pem"), "-----BEGIN NOTHING-----\n");
  auto junk = describeFile(f.dir.file("junk.pem"), kNow);
  REQUIRE_FALSE(junk.ok());
  CHECK(junk.error().code == ErrorCode::kInvalidValue);
  auto missing = describeFile(f.dir.file("missing.pem"), kNow);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::kStorageFailure);
}

TEST_CASE("loyalty-ca: host names and identifiers", "[tools]") {
  CHECK(isHostName("core"));
  CHECK(isHostName("core-1.store.example"));
  CHECK(isHostName("10.0.0.1"));
  CHECK(isHostName("fe80::1"));
  CHECK_FALSE(isHostName(""));
  CHECK_FALSE(isHostName("core.example."));
  CHECK_FALSE(isHostName("core_1.example"));
  CHECK_FALSE(isHostName("*.example"));
  CHECK_FALSE(isHostName(std::string(64, 'a') + ".example"));
  CHECK(isIdentifier("S042"));
  CHECK(isIdentifier("till_3-b"));
  CHECK_FALSE(isIdentifier(""));
  CHECK_FALSE(isIdentifier("S/1"));
  CHECK_FALSE(isIdentifier(std::string(33, 'a')));
  CHECK(terminalCommonName("S042", "T03") == "S042/T03");
}

}  // namespace
}  // namespace loyalty::tools::ca
