// The chain's own certificate authority for TLS between the pos-agents and the loyalty-core
// (docs/operations.md, "TLS: the chain's CA, terminal certificates, revocation"): creating the
// CA, issuing server and terminal certificates, revoking them through the CA's CRL, and
// describing any of these files. OpenSSL EVP/X509 API; ECDSA P-256 keys, SHA-256 signatures.
//
// A CA directory holds:
//   ca.key.pem   the CA's private key (PKCS#8 PEM, mode 0600; keep this directory offline)
//   ca.cert.pem  the self-signed CA certificate (what the core and every agent trust)
//   ca.crl.pem   the certificate revocation list, signed by the CA (what the core checks)
//   issued.txt   one line per certificate issued: serial, kind, subject, validity (append-only)
//
// Invariants: a private key file is created with O_EXCL and mode 0600 and is never overwritten;
// the CRL is replaced atomically (a temporary file, then rename), its CRL number grows by one
// with every revocation and its lastUpdate never goes back; lastUpdate and notBefore lie
// kBackdateSeconds in the past (a CRL ahead of the core's clock would refuse every client); a
// leaf certificate never outlives the CA. Operations that change a CA directory hold an
// exclusive flock on its ca.key.pem.
//
// Errors: kInvalidValue (bad argument or a file that is not what it should be), kInvalidState
// (a file that must not exist exists, a certificate of another CA), kStorageFailure (I/O),
// kInternal (OpenSSL failed).
//
// Thread safety: the functions are re-entrant; two processes changing one CA directory are
// serialised by the flock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "loyalty/base/result.h"

namespace loyalty::tools::ca {

inline constexpr const char* kCaKeyFile = "ca.key.pem";
inline constexpr const char* kCaCertFile = "ca.cert.pem";
inline constexpr const char* kCaCrlFile = "ca.crl.pem";
inline constexpr const char* kIssuedFile = "issued.txt";

inline constexpr int64_t kCaValidityDays = 3650;   // 10 years
inline constexpr int64_t kLeafValidityDays = 730;  // 2 years (terminal and server certificates)
inline constexpr int64_t kBackdateSeconds = 300;   // notBefore, lastUpdate: this far back

enum class CertKind { kServer, kTerminal };

// What to issue. Server: host is a DNS name or an IPv4/IPv6 address (the subjectAltName the
// agents check). Terminal: store and terminal are protocol identifiers (1..32 of A-Z a-z 0-9 _ -);
// the certificate's common name is "store/terminal".
struct IssueRequest {
  CertKind kind = CertKind::kTerminal;
  std::string host;
  std::string store;
  std::string terminal;
};

struct InitOutcome {
  std::string keyPath;
  std::string certPath;
  std::string crlPath;
  std::string subject;      // "CN=..."
  std::string fingerprint;  // SHA-256 of the DER certificate, "AB:CD:..."
  int64_t notAfter = 0;     // seconds since the epoch
};

struct IssueOutcome {
  std::string keyPath;
  std::string certPath;
  std::string subject;
  std::string serial;        // upper-case hex
  int64_t notAfter = 0;      // seconds since the epoch
  bool clampedToCa = false;  // notAfter was cut to the CA's own expiry
};

struct RevokeOutcome {
  std::string serial;
  std::string subject;  // empty when revoked by serial and not found in issued.txt
  bool alreadyRevoked = false;
  int64_t crlNumber = 0;
  size_t revokedCount = 0;  // entries in the CRL after this revocation
  std::string crlPath;
};

// Creates a CA in dir (created with mode 0700 when missing; its parent must exist): key,
// self-signed certificate (kCaValidityDays, CN = commonName) and an empty CRL. now: seconds
// since the epoch. Refuses when any of the CA files already exists.
base::Result<InitOutcome> initCa(const std::string& dir, const std::string& commonName,
                                 int64_t now);

// Issues a certificate signed by the CA in caDir into outDir (created with mode 0700 when
// missing): <base>.key.pem (0600) and <base>.cert.pem, where <base> is "server-<host>" or
// "terminal-<store>-<terminal>" (see fileBaseName). Refuses when either file exists.
base::Result<IssueOutcome> issue(const std::string& caDir, const IssueRequest& request,
                                 const std::string& outDir, int64_t now);

// Adds the certificate in certFile (which must be signed by this CA, and not be the CA itself)
// to the CA's CRL and re-signs it. Revoking a revoked certificate changes nothing.
base::Result<RevokeOutcome> revokeCertificate(const std::string& caDir, const std::string& certFile,
                                              int64_t now);
// The same by serial number (hex, as `show` and issued.txt print it; colons allowed), for a
// certificate whose file is lost.
base::Result<RevokeOutcome> revokeSerial(const std::string& caDir, const std::string& serialText,
                                         int64_t now);

// A human-readable description of a certificate, CRL or private key PEM file (what `show`
// prints). Errors: kStorageFailure when unreadable, kInvalidValue when it is none of these.
struct Description {
  std::string text;
  bool looseKeyPermissions = false;  // a private key readable by group or others
};
base::Result<Description> describeFile(const std::string& path, int64_t now);

// Validation and naming, exposed for the tests and the command line.
bool isIdentifier(std::string_view text);  // 1..32 of A-Z a-z 0-9 _ -
bool isHostName(std::string_view text);    // DNS name (LDH labels) or IP address
std::string fileBaseName(const IssueRequest& request);
std::string terminalCommonName(const std::string& store, const std::string& terminal);

}  // namespace loyalty::tools::ca
