#include "loyalty-ca/ca.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

namespace loyalty::tools::ca {
namespace {

using base::ErrorCode;
using base::makeError;

// ---- OpenSSL ownership ----------------------------------------------------------------------

struct OsslFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_CRL* p) const { X509_CRL_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
  // ASN1_INTEGER and ASN1_TIME are both ASN1_STRING.
  void operator()(ASN1_STRING* p) const { ASN1_STRING_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(BIO* p) const { BIO_free_all(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, OsslFree>;

// The OpenSSL error queue as text (emptied).
std::string opensslErrors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {  // NOLINT(google-runtime-int): OpenSSL API
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    text += text.empty() ? "" : "; ";
    text += buffer;
  }
  return text.empty() ? std::string("unknown OpenSSL error") : text;
}

base::Error sslError(const std::string& what) {
  return makeError(ErrorCode::kInternal, what + ": " + opensslErrors());
}

// Never prompts for a passphrase: our keys are not encrypted, and a tool must not block on a tty.
int noPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return 0; }

std::string bioText(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);  // NOLINT(google-runtime-int): OpenSSL API
  return length > 0 ? std::string(data, static_cast<size_t>(length)) : std::string();
}

Owned<BIO> memoryBio(const std::string& content) {
  return Owned<BIO>(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
}

// ---- files ------------------------------------------------------------------------------------

std::string joinPath(const std::string& dir, const std::string& name) {
  return (!dir.empty() && dir.back() == '/') ? dir + name : dir + "/" + name;
}

bool pathExists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

base::Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return makeError(ErrorCode::kStorageFailure, path + ": cannot open");
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) {
    return makeError(ErrorCode::kStorageFailure, path + ": cannot read");
  }
  return content.str();
}

// A directory that exists, or is created with mode 0700 (its parent must exist).
base::Status ensureDirectory(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return makeError(ErrorCode::kInvalidValue, dir + ": not a directory");
    }
    return base::okStatus();
  }
  if (::mkdir(dir.c_str(), 0700) != 0) {
    return makeError(ErrorCode::kStorageFailure, dir + ": " + std::strerror(errno));
  }
  return base::okStatus();
}

base::Status writeAll(int fd, const std::string& content, const std::string& path) {
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return makeError(ErrorCode::kStorageFailure, path + ": " + std::strerror(errno));
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    return makeError(ErrorCode::kStorageFailure, path + ": " + std::strerror(errno));
  }
  return base::okStatus();
}

// Creates path, which must not exist, with mode (whatever the umask) and content. On failure
// nothing is left behind.
base::Status writeNewFile(const std::string& path, const std::string& content, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return makeError(errno == EEXIST ? ErrorCode::kInvalidState : ErrorCode::kStorageFailure,
                     path + ": " + std::strerror(errno));
  }
  base::Status status =
      ::fchmod(fd, mode) == 0
          ? writeAll(fd, content, path)
          : base::Status(makeError(ErrorCode::kStorageFailure, path + ": " + std::strerror(errno)));
  if (::close(fd) != 0 && status.ok()) {
    status = makeError(ErrorCode::kStorageFailure, path + ": " + std::strerror(errno));
  }
  if (!status.ok()) {
    ::unlink(path.c_str());
  }
  return status;
}

void syncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
}

// Replaces path with content atomically: a reader (the core) sees the old or the new file whole.
base::Status replaceFile(const std::string& dir, const std::string& path,
                         const std::string& content, mode_t mode) {
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  ::unlink(temp.c_str());  // a leftover of a crashed run of this same pid
  if (auto written = writeNewFile(temp, content, mode); !written.ok()) {
    return written;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp.c_str());
    return makeError(ErrorCode::kStorageFailure, path + ": " + std::strerror(saved));
  }
  syncDirectory(dir);
  return base::okStatus();
}

base::Status appendLine(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return makeError(ErrorCode::kStorageFailure, path + ": " + std::strerror(errno));
  }
  base::Status status = writeAll(fd, line, path);
  ::close(fd);
  return status;
}

// An exclusive flock on the CA's key file, held while a CA directory changes.
class CaLock {
 public:
  static base::Result<std::unique_ptr<CaLock>> acquire(const std::string& caDir) {
    const std::string path = joinPath(caDir, kCaKeyFile);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return makeError(ErrorCode::kInvalidValue,
                       path + ": " + std::strerror(errno) + " (is " + caDir + " a CA directory?)");
    }
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR) {
        const int saved = errno;
        ::close(fd);
        return makeError(ErrorCode::kStorageFailure, path + ": " + std::strerror(saved));
      }
    }
    return std::unique_ptr<CaLock>(new CaLock(fd));
  }
  ~CaLock() { ::close(fd_); }  // releases the lock
  CaLock(const CaLock&) = delete;
  CaLock& operator=(const CaLock&) = delete;

 private:
  explicit CaLock(int fd) : fd_(fd) {}
  const int fd_;
};

// ---- values -----------------------------------------------------------------------------------

std::optional<int64_t> epochOf(const ASN1_TIME* time) {
  struct tm parts {};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) {
    return std::nullopt;
  }
  return static_cast<int64_t>(::timegm(&parts));
}

std::string formatTime(int64_t epoch) {
  const time_t t = static_cast<time_t>(epoch);
  struct tm parts {};
  ::gmtime_r(&t, &parts);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S UTC", &parts);
  return buffer;
}

std::string formatAsn1Time(const ASN1_TIME* time) {
  auto epoch = epochOf(time);
  return epoch ? formatTime(*epoch) : std::string("unreadable");
}

std::string serialHex(const ASN1_INTEGER* serial) {
  Owned<BIGNUM> bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (bn == nullptr) {
    return "?";
  }
  char* hex = BN_bn2hex(bn.get());
  std::string out = hex != nullptr ? hex : "?";
  OPENSSL_free(hex);
  return out;
}

std::string nameText(const X509_NAME* name) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    return "?";
  }
  return bioText(bio.get());
}

std::string fingerprint(const X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(cert, EVP_sha256(), md, &length) != 1) {
    return "?";
  }
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    if (i > 0) {
      out += ':';
    }
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xF];
  }
  return out;
}

// A serial number typed by an operator: hex digits, colons allowed, optional 0x.
std::optional<Owned<ASN1_INTEGER>> parseSerial(const std::string& text) {
  std::string hex;
  std::string_view view(text);
  if (view.size() > 2 && view[0] == '0' && (view[1] == 'x' || view[1] == 'X')) {
    view.remove_prefix(2);
  }
  for (const char c : view) {
    if (c == ':') {
      continue;
    }
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
    hex += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (hex.empty() || hex.size() > 40) {
    return std::nullopt;
  }
  BIGNUM* raw = nullptr;
  if (BN_hex2bn(&raw, hex.c_str()) == 0) {
    return std::nullopt;
  }
  Owned<BIGNUM> bn(raw);
  Owned<ASN1_INTEGER> serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (serial == nullptr) {
    return std::nullopt;
  }
  return serial;
}

// ---- keys and certificates ------------------------------------------------------------------

Owned<EVP_PKEY> newKey() {
  return Owned<EVP_PKEY>(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

base::Result<std::string> privateKeyPem(EVP_PKEY* key) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return sslError("cannot encode the private key");
  }
  return bioText(bio.get());
}

base::Result<std::string> certificatePem(X509* cert) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return sslError("cannot encode the certificate");
  }
  return bioText(bio.get());
}

base::Result<std::string> crlPem(X509_CRL* crl) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509_CRL(bio.get(), crl) != 1) {
    return sslError("cannot encode the CRL");
  }
  return bioText(bio.get());
}

Owned<X509> parseCertificate(const std::string& pem) {
  Owned<BIO> bio = memoryBio(pem);
  Owned<X509> cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, noPassphrase, nullptr) : nullptr);
  ERR_clear_error();
  return cert;
}

Owned<X509_CRL> parseCrl(const std::string& pem) {
  Owned<BIO> bio = memoryBio(pem);
  Owned<X509_CRL> crl(bio ? PEM_read_bio_X509_CRL(bio.get(), nullptr, noPassphrase, nullptr)
                          : nullptr);
  ERR_clear_error();
  return crl;
}

Owned<EVP_PKEY> parsePrivateKey(const std::string& pem) {
  Owned<BIO> bio = memoryBio(pem);
  Owned<EVP_PKEY> key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassphrase, nullptr)
                          : nullptr);
  ERR_clear_error();
  return key;
}

base::Status addExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  Owned<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    return sslError(std::string("cannot add the extension ") + OBJ_nid2sn(nid) + " = " + value);
  }
  return base::okStatus();
}

base::Status setRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return sslError("no random serial number");
  }
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7F) | 0x40);  // positive, 16 bytes long
  Owned<BIGNUM> bn(BN_bin2bn(bytes, sizeof(bytes), nullptr));
  if (bn == nullptr || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return sslError("cannot set the serial number");
  }
  return base::okStatus();
}

// A v3 certificate skeleton: serial, subject CN, validity, public key.
base::Result<Owned<X509>> newCertificate(const std::string& commonName, EVP_PKEY* key,
                                         int64_t notBefore, int64_t notAfter) {
  Owned<X509> cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), 2) != 1) {
    return sslError("cannot create a certificate");
  }
  if (auto serial = setRandomSerial(cert.get()); !serial.ok()) {
    return serial.error();
  }
  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(commonName.c_str()), -1, -1,
                                 0) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(notBefore)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(notAfter)) == nullptr ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return sslError("cannot fill in the certificate");
  }
  return cert;
}

// ---- the CA -----------------------------------------------------------------------------------

struct Ca {
  std::string dir;
  Owned<X509> cert;
  Owned<EVP_PKEY> key;
  int64_t notAfter = 0;
};

base::Result<Ca> loadCa(const std::string& dir) {
  Ca ca;
  ca.dir = dir;
  auto certText = readFile(joinPath(dir, kCaCertFile));
  if (!certText.ok()) {
    return makeError(ErrorCode::kInvalidValue,
                     certText.error().message + " (is " + dir + " a CA directory?)");
  }
  ca.cert = parseCertificate(*certText);
  if (ca.cert == nullptr || X509_check_ca(ca.cert.get()) == 0) {
    return makeError(ErrorCode::kInvalidValue,
                     joinPath(dir, kCaCertFile) + ": not a CA certificate");
  }
  auto keyText = readFile(joinPath(dir, kCaKeyFile));
  if (!keyText.ok()) {
    return makeError(ErrorCode::kInvalidValue, keyText.error().message);
  }
  ca.key = parsePrivateKey(*keyText);
  if (ca.key == nullptr) {
    return makeError(ErrorCode::kInvalidValue,
                     joinPath(dir, kCaKeyFile) +
                         ": not a PEM private key (encrypted keys are not "
                         "supported)");
  }
  if (X509_check_private_key(ca.cert.get(), ca.key.get()) != 1) {
    ERR_clear_error();
    return makeError(ErrorCode::kInvalidValue, std::string(kCaKeyFile) + " and " + kCaCertFile +
                                                   " in " + dir + " do not belong together");
  }
  auto notAfter = epochOf(X509_get0_notAfter(ca.cert.get()));
  if (!notAfter) {
    return makeError(ErrorCode::kInvalidValue, joinPath(dir, kCaCertFile) + ": bad validity");
  }
  ca.notAfter = *notAfter;
  return ca;
}

struct RevokedEntry {
  Owned<ASN1_INTEGER> serial;
  int64_t date = 0;
};

struct CrlState {
  std::vector<RevokedEntry> entries;
  int64_t lastUpdate = 0;
  int64_t number = 0;
};

// The CA's current CRL, checked against the CA (issuer and signature).
base::Result<CrlState> loadCrl(const Ca& ca) {
  const std::string path = joinPath(ca.dir, kCaCrlFile);
  auto text = readFile(path);
  if (!text.ok()) {
    return makeError(ErrorCode::kInvalidValue, text.error().message);
  }
  Owned<X509_CRL> crl = parseCrl(*text);
  if (crl == nullptr) {
    return makeError(ErrorCode::kInvalidValue, path + ": not a PEM CRL");
  }
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(ca.cert.get())) != 0 ||
      X509_CRL_verify(crl.get(), ca.key.get()) != 1) {
    ERR_clear_error();
    return makeError(ErrorCode::kInvalidState, path + ": not signed by this CA");
  }
  CrlState state;
  state.lastUpdate = epochOf(X509_CRL_get0_lastUpdate(crl.get())).value_or(0);
  Owned<ASN1_INTEGER> number(static_cast<ASN1_INTEGER*>(
      X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr)));
  int64_t value = 0;
  if (number != nullptr && ASN1_INTEGER_get_int64(&value, number.get()) == 1) {
    state.number = value;
  }
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    const X509_REVOKED* entry = sk_X509_REVOKED_value(revoked, i);
    RevokedEntry copy;
    copy.serial.reset(ASN1_INTEGER_dup(X509_REVOKED_get0_serialNumber(entry)));
    copy.date = epochOf(X509_REVOKED_get0_revocationDate(entry)).value_or(state.lastUpdate);
    if (copy.serial == nullptr) {
      return sslError("cannot copy a CRL entry");
    }
    state.entries.push_back(std::move(copy));
  }
  ERR_clear_error();
  return state;
}

// A CRL over entries, signed by the CA; nextUpdate is the CA's own expiry (the core re-reads the
// file when it changes, so freshness comes from the file, not from nextUpdate).
base::Result<std::string> signCrl(const Ca& ca, const std::vector<RevokedEntry>& entries,
                                  int64_t lastUpdate, int64_t number) {
  Owned<X509_CRL> crl(X509_CRL_new());
  Owned<ASN1_TIME> last(ASN1_TIME_set(nullptr, static_cast<time_t>(lastUpdate)));
  if (crl == nullptr || last == nullptr || X509_CRL_set_version(crl.get(), 1) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.cert.get())) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), X509_get0_notAfter(ca.cert.get())) != 1) {
    return sslError("cannot create the CRL");
  }
  for (const RevokedEntry& entry : entries) {
    X509_REVOKED* revoked = X509_REVOKED_new();
    Owned<ASN1_TIME> date(ASN1_TIME_set(nullptr, static_cast<time_t>(entry.date)));
    if (revoked == nullptr || date == nullptr ||
        X509_REVOKED_set_serialNumber(revoked, entry.serial.get()) != 1 ||
        X509_REVOKED_set_revocationDate(revoked, date.get()) != 1 ||
        X509_CRL_add0_revoked(crl.get(), revoked) != 1) {
      X509_REVOKED_free(revoked);
      return sslError("cannot add a CRL entry");
    }
  }
  X509_CRL_sort(crl.get());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca.cert.get(), nullptr, nullptr, crl.get(), 0);
  Owned<X509_EXTENSION> aki(
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  Owned<ASN1_INTEGER> crlNumber(ASN1_INTEGER_new());
  if (aki == nullptr || X509_CRL_add_ext(crl.get(), aki.get(), -1) != 1 || crlNumber == nullptr ||
      ASN1_INTEGER_set_int64(crlNumber.get(), number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, crlNumber.get(), 0, 0) != 1) {
    return sslError("cannot add the CRL extensions");
  }
  if (X509_CRL_sign(crl.get(), ca.key.get(), EVP_sha256()) == 0) {
    return sslError("cannot sign the CRL");
  }
  return crlPem(crl.get());
}

std::string kindName(CertKind kind) { return kind == CertKind::kServer ? "server" : "terminal"; }

std::string issuedLine(const std::string& serial, const std::string& kind,
                       const std::string& subject, int64_t notBefore, int64_t notAfter) {
  return serial + "\t" + kind + "\t" + subject + "\t" + formatTime(notBefore) + "\t" +
         formatTime(notAfter) + "\n";
}

// The subject recorded for serial in issued.txt, if it is there.
std::optional<std::string> issuedSubject(const std::string& caDir, const std::string& serial) {
  std::ifstream in(joinPath(caDir, kIssuedFile));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    std::istringstream fields(line);
    std::string lineSerial;
    std::string kind;
    std::string subject;
    if (std::getline(fields, lineSerial, '\t') && std::getline(fields, kind, '\t') &&
        std::getline(fields, subject, '\t') && lineSerial == serial) {
      return subject;
    }
  }
  return std::nullopt;
}

base::Result<RevokeOutcome> revokeLocked(const Ca& ca, const ASN1_INTEGER* serial,
                                         const std::string& subject, int64_t now) {
  if (ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(ca.cert.get())) == 0) {
    return makeError(ErrorCode::kInvalidValue,
                     "that is the CA's own certificate: to retire a CA, create a new one");
  }
  auto state = loadCrl(ca);
  if (!state.ok()) {
    return state.error();
  }
  RevokeOutcome outcome;
  outcome.serial = serialHex(serial);
  outcome.subject = subject;
  outcome.crlPath = joinPath(ca.dir, kCaCrlFile);
  for (const RevokedEntry& entry : state->entries) {
    if (ASN1_INTEGER_cmp(entry.serial.get(), serial) == 0) {
      outcome.alreadyRevoked = true;
      outcome.crlNumber = state->number;
      outcome.revokedCount = state->entries.size();
      return outcome;
    }
  }
  RevokedEntry added;
  added.serial.reset(ASN1_INTEGER_dup(serial));
  added.date = now;
  if (added.serial == nullptr) {
    return sslError("cannot copy the serial number");
  }
  state->entries.push_back(std::move(added));
  // Backdated like the certificates: a CRL whose lastUpdate is ahead of the core's clock is "not
  // yet valid", and then every client would be refused. Never earlier than the one it replaces;
  // the CRL number orders them.
  const int64_t lastUpdate = std::max(now - kBackdateSeconds, state->lastUpdate);
  const int64_t number = state->number + 1;
  auto pem = signCrl(ca, state->entries, lastUpdate, number);
  if (!pem.ok()) {
    return pem.error();
  }
  if (auto written = replaceFile(ca.dir, outcome.crlPath, *pem, 0644); !written.ok()) {
    return written.error();
  }
  outcome.crlNumber = number;
  outcome.revokedCount = state->entries.size();
  return outcome;
}

std::string subjectAltName(const std::string& host) {
  unsigned char buffer[sizeof(struct in6_addr)];
  const bool ip = ::inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
                  ::inet_pton(AF_INET6, host.c_str(), buffer) == 1;
  return (ip ? "IP:" : "DNS:") + host;
}

std::string describeNames(X509* cert) {
  Owned<GENERAL_NAMES> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  std::string out;
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    std::string item;
    if (name->type == GEN_DNS) {
      const ASN1_STRING* dns = name->d.dNSName;
      item = "DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                  static_cast<size_t>(ASN1_STRING_length(dns)));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = name->d.iPAddress;
      char text[INET6_ADDRSTRLEN] = "?";
      const int length = ASN1_STRING_length(ip);
      if (length == 4 || length == 16) {
        ::inet_ntop(length == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(ip), text,
                    sizeof(text));
      }
      item = std::string("IP:") + text;
    } else {
      item = "other";
    }
    out += (out.empty() ? "" : ", ") + item;
  }
  ERR_clear_error();
  return out;
}

std::string describeCertificate(X509* cert, int64_t now) {
  std::ostringstream out;
  std::string kind;
  const uint32_t eku = X509_get_extended_key_usage(cert);
  if (X509_check_ca(cert) != 0) {
    kind = "CA certificate";
  } else if (eku != UINT32_MAX && (eku & XKU_SSL_CLIENT) != 0 && (eku & XKU_SSL_SERVER) == 0) {
    kind = "terminal certificate (TLS client)";
  } else if (eku != UINT32_MAX && (eku & XKU_SSL_SERVER) != 0 && (eku & XKU_SSL_CLIENT) == 0) {
    kind = "server certificate (TLS server)";
  } else {
    kind = "certificate";
  }
  out << "kind: " << kind << "\n"
      << "subject: " << nameText(X509_get_subject_name(cert)) << "\n";
  const std::string names = describeNames(cert);
  if (!names.empty()) {
    out << "names: " << names << "\n";
  }
  out << "issuer: " << nameText(X509_get_issuer_name(cert)) << "\n"
      << "serial: " << serialHex(X509_get0_serialNumber(cert)) << "\n"
      << "not before: " << formatAsn1Time(X509_get0_notBefore(cert)) << "\n"
      << "not after: " << formatAsn1Time(X509_get0_notAfter(cert)) << "\n";
  const auto notBefore = epochOf(X509_get0_notBefore(cert));
  const auto notAfter = epochOf(X509_get0_notAfter(cert));
  std::string status = "valid";
  if (!notBefore || !notAfter) {
    status = "unknown";
  } else if (now < *notBefore) {
    status = "not yet valid";
  } else if (now > *notAfter) {
    status = "expired";
  } else {
    status = "valid for " + std::to_string((*notAfter - now) / 86400) + " more days";
  }
  out << "status: " << status << " (revocation: see the CA's CRL)\n"
      << "sha256 fingerprint: " << fingerprint(cert) << "\n";
  return out.str();
}

std::string describeCrl(X509_CRL* crl) {
  std::ostringstream out;
  out << "kind: certificate revocation list\n"
      << "issuer: " << nameText(X509_CRL_get_issuer(crl)) << "\n";
  Owned<ASN1_INTEGER> number(
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr)));
  out << "crl number: " << (number != nullptr ? serialHex(number.get()) : "none") << "\n"
      << "last update: " << formatAsn1Time(X509_CRL_get0_lastUpdate(crl)) << "\n"
      << "next update: "
      << (X509_CRL_get0_nextUpdate(crl) != nullptr ? formatAsn1Time(X509_CRL_get0_nextUpdate(crl))
                                                   : std::string("none"))
      << "\n";
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl);
  out << "revoked: " << sk_X509_REVOKED_num(revoked) << "\n";
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    const X509_REVOKED* entry = sk_X509_REVOKED_value(revoked, i);
    out << "  " << serialHex(X509_REVOKED_get0_serialNumber(entry)) << " since "
        << formatAsn1Time(X509_REVOKED_get0_revocationDate(entry)) << "\n";
  }
  ERR_clear_error();
  return out.str();
}

std::string describeKey(EVP_PKEY* key) {
  std::string kind = EVP_PKEY_get0_type_name(key) != nullptr ? EVP_PKEY_get0_type_name(key) : "?";
  char group[64] = "";
  size_t length = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof(group), &length) == 1) {
    kind += std::string(" ") + group;
  }
  ERR_clear_error();
  return "kind: private key (" + kind + ", " + std::to_string(EVP_PKEY_get_bits(key)) + " bits)\n";
}

}  // namespace

// ---- public -----------------------------------------------------------------------------------

bool isIdentifier(std::string_view text) {
  return !text.empty() && text.size() <= 32 && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
  });
}

bool isHostName(std::string_view text) {
  const std::string host(text);
  unsigned char buffer[sizeof(struct in6_addr)];
  if (::inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
      ::inet_pton(AF_INET6, host.c_str(), buffer) == 1) {
    return true;
  }
  if (text.empty() || text.size() > 253) {
    return false;
  }
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('.', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    const std::string_view label = text.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !std::all_of(label.begin(), label.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-';
        })) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

std::string terminalCommonName(const std::string& store, const std::string& terminal) {
  return store + "/" + terminal;
}

std::string fileBaseName(const IssueRequest& request) {
  if (request.kind == CertKind::kServer) {
    std::string host = request.host;
    std::replace(host.begin(), host.end(), ':', '_');  // IPv6 addresses
    return "server-" + host;
  }
  return "terminal-" + request.store + "-" + request.terminal;
}

base::Result<InitOutcome> initCa(const std::string& dir, const std::string& commonName,
                                 int64_t now) {
  if (commonName.empty() || commonName.size() > 64) {
    return makeError(ErrorCode::kInvalidValue, "the CA's name must be 1..64 characters");
  }
  if (auto made = ensureDirectory(dir); !made.ok()) {
    return made.error();
  }
  InitOutcome outcome;
  outcome.keyPath = joinPath(dir, kCaKeyFile);
  outcome.certPath = joinPath(dir, kCaCertFile);
  outcome.crlPath = joinPath(dir, kCaCrlFile);
  for (const std::string& path : {outcome.keyPath, outcome.certPath, outcome.crlPath}) {
    if (pathExists(path)) {
      return makeError(ErrorCode::kInvalidState,
                       path + " already exists; refusing to overwrite a CA");
    }
  }
  Ca ca;
  ca.dir = dir;
  ca.key = newKey();
  if (ca.key == nullptr) {
    return sslError("cannot generate an EC P-256 key");
  }
  const int64_t notAfter = now + kCaValidityDays * 86400;
  auto cert = newCertificate(commonName, ca.key.get(), now - kBackdateSeconds, notAfter);
  if (!cert.ok()) {
    return cert.error();
  }
  ca.cert = std::move(cert).value();
  ca.notAfter = notAfter;
  if (X509_set_issuer_name(ca.cert.get(), X509_get_subject_name(ca.cert.get())) != 1) {
    return sslError("cannot set the issuer");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca.cert.get(), ca.cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : std::vector<std::pair<int, std::string>>{
           {NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
           {NID_key_usage, "critical,keyCertSign,cRLSign"},
           {NID_subject_key_identifier, "hash"},
           {NID_authority_key_identifier, "keyid:always"}}) {
    if (auto added = addExtension(ca.cert.get(), &ctx, nid, value); !added.ok()) {
      return added.error();
    }
  }
  if (X509_sign(ca.cert.get(), ca.key.get(), EVP_sha256()) == 0) {
    return sslError("cannot sign the CA certificate");
  }
  auto keyPem = privateKeyPem(ca.key.get());
  auto certPem = certificatePem(ca.cert.get());
  auto crl = signCrl(ca, {}, now - kBackdateSeconds, 1);
  if (!keyPem.ok() || !certPem.ok() || !crl.ok()) {
    return !keyPem.ok() ? keyPem.error() : !certPem.ok() ? certPem.error() : crl.error();
  }
  // The key first, so that a CA never exists without its key.
  if (auto written = writeNewFile(outcome.keyPath, *keyPem, 0600); !written.ok()) {
    return written.error();
  }
  base::Status rest = writeNewFile(outcome.certPath, *certPem, 0644);
  if (rest.ok()) {
    rest = writeNewFile(outcome.crlPath, *crl, 0644);
    if (!rest.ok()) {
      ::unlink(outcome.certPath.c_str());
    }
  }
  if (rest.ok() && !pathExists(joinPath(dir, kIssuedFile))) {
    rest =
        appendLine(joinPath(dir, kIssuedFile), "# serial\tkind\tsubject\tnot before\tnot after\n");
    if (!rest.ok()) {
      ::unlink(outcome.crlPath.c_str());
      ::unlink(outcome.certPath.c_str());
    }
  }
  if (!rest.ok()) {
    ::unlink(outcome.keyPath.c_str());  // written just above: leave no half CA behind
    return rest.error();
  }
  syncDirectory(dir);
  outcome.subject = nameText(X509_get_subject_name(ca.cert.get()));
  outcome.fingerprint = fingerprint(ca.cert.get());
  outcome.notAfter = notAfter;
  return outcome;
}

base::Result<IssueOutcome> issue(const std::string& caDir, const IssueRequest& request,
                                 const std::string& outDir, int64_t now) {
  if (request.kind == CertKind::kServer && !isHostName(request.host)) {
    return makeError(ErrorCode::kInvalidValue,
                     "'" + request.host + "' is neither a DNS name nor an IP address");
  }
  if (request.kind == CertKind::kTerminal &&
      (!isIdentifier(request.store) || !isIdentifier(request.terminal))) {
    return makeError(ErrorCode::kInvalidValue,
                     "store and terminal must be 1..32 of A-Z a-z 0-9 _ - (as on the wire)");
  }
  auto lock = CaLock::acquire(caDir);
  if (!lock.ok()) {
    return lock.error();
  }
  auto ca = loadCa(caDir);
  if (!ca.ok()) {
    return ca.error();
  }
  if (ca->notAfter <= now) {
    return makeError(ErrorCode::kInvalidState, "the CA in " + caDir + " has expired");
  }
  if (auto made = ensureDirectory(outDir); !made.ok()) {
    return made.error();
  }
  IssueOutcome outcome;
  const std::string base = fileBaseName(request);
  outcome.keyPath = joinPath(outDir, base + ".key.pem");
  outcome.certPath = joinPath(outDir, base + ".cert.pem");
  for (const std::string& path : {outcome.keyPath, outcome.certPath}) {
    if (pathExists(path)) {
      return makeError(ErrorCode::kInvalidState,
                       path + " already exists; refusing to overwrite (use another --out)");
    }
  }
  Owned<EVP_PKEY> key = newKey();
  if (key == nullptr) {
    return sslError("cannot generate an EC P-256 key");
  }
  int64_t notAfter = now + kLeafValidityDays * 86400;
  if (notAfter > ca->notAfter) {
    notAfter = ca->notAfter;
    outcome.clampedToCa = true;
  }
  const std::string commonName = request.kind == CertKind::kServer
                                     ? request.host
                                     : terminalCommonName(request.store, request.terminal);
  auto cert = newCertificate(commonName, key.get(), now - kBackdateSeconds, notAfter);
  if (!cert.ok()) {
    return cert.error();
  }
  if (X509_set_issuer_name(cert->get(), X509_get_subject_name(ca->cert.get())) != 1) {
    return sslError("cannot set the issuer");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca->cert.get(), cert->get(), nullptr, nullptr, 0);
  std::vector<std::pair<int, std::string>> extensions = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature"},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"}};
  if (request.kind == CertKind::kServer) {
    extensions.emplace_back(NID_ext_key_usage, "serverAuth");
    extensions.emplace_back(NID_subject_alt_name, subjectAltName(request.host));
  } else {
    extensions.emplace_back(NID_ext_key_usage, "clientAuth");
  }
  for (const auto& [nid, value] : extensions) {
    if (auto added = addExtension(cert->get(), &ctx, nid, value); !added.ok()) {
      return added.error();
    }
  }
  if (X509_sign(cert->get(), ca->key.get(), EVP_sha256()) == 0) {
    return sslError("cannot sign the certificate");
  }
  auto keyPem = privateKeyPem(key.get());
  auto certPem = certificatePem(cert->get());
  if (!keyPem.ok() || !certPem.ok()) {
    return !keyPem.ok() ? keyPem.error() : certPem.error();
  }
  outcome.subject = nameText(X509_get_subject_name(cert->get()));
  outcome.serial = serialHex(X509_get0_serialNumber(cert->get()));
  outcome.notAfter = notAfter;
  if (auto written = writeNewFile(outcome.keyPath, *keyPem, 0600); !written.ok()) {
    return written.error();
  }
  base::Status rest = writeNewFile(outcome.certPath, *certPem, 0644);
  if (rest.ok()) {
    rest = appendLine(joinPath(caDir, kIssuedFile),
                      issuedLine(outcome.serial, kindName(request.kind), outcome.subject,
                                 now - kBackdateSeconds, notAfter));
    if (!rest.ok()) {
      ::unlink(outcome.certPath.c_str());
    }
  }
  if (!rest.ok()) {
    ::unlink(outcome.keyPath.c_str());
    return rest.error();
  }
  syncDirectory(outDir);
  return outcome;
}

base::Result<RevokeOutcome> revokeCertificate(const std::string& caDir, const std::string& certFile,
                                              int64_t now) {
  auto text = readFile(certFile);
  if (!text.ok()) {
    return text.error();
  }
  Owned<X509> cert = parseCertificate(*text);
  if (cert == nullptr) {
    return makeError(ErrorCode::kInvalidValue, certFile + ": not a PEM certificate");
  }
  auto lock = CaLock::acquire(caDir);
  if (!lock.ok()) {
    return lock.error();
  }
  auto ca = loadCa(caDir);
  if (!ca.ok()) {
    return ca.error();
  }
  if (X509_NAME_cmp(X509_get_issuer_name(cert.get()), X509_get_subject_name(ca->cert.get())) != 0 ||
      X509_verify(cert.get(), ca->key.get()) != 1) {
    ERR_clear_error();
    return makeError(ErrorCode::kInvalidState, certFile + " was not issued by the CA in " + caDir);
  }
  return revokeLocked(*ca, X509_get0_serialNumber(cert.get()),
                      nameText(X509_get_subject_name(cert.get())), now);
}

base::Result<RevokeOutcome> revokeSerial(const std::string& caDir, const std::string& serialText,
                                         int64_t now) {
  auto serial = parseSerial(serialText);
  if (!serial) {
    return makeError(ErrorCode::kInvalidValue,
                     "'" + serialText + "' is not a serial number (hex digits)");
  }
  auto lock = CaLock::acquire(caDir);
  if (!lock.ok()) {
    return lock.error();
  }
  auto ca = loadCa(caDir);
  if (!ca.ok()) {
    return ca.error();
  }
  const std::string canonical = serialHex(serial->get());
  auto subject = issuedSubject(caDir, canonical);
  if (!subject) {
    return makeError(ErrorCode::kInvalidValue,
                     "serial " + canonical + " is not in " + joinPath(caDir, kIssuedFile) +
                         "; check it with `loyalty-ca show` on the certificate");
  }
  return revokeLocked(*ca, serial->get(), *subject, now);
}

base::Result<Description> describeFile(const std::string& path, int64_t now) {
  auto text = readFile(path);
  if (!text.ok()) {
    return text.error();
  }
  Description description;
  if (Owned<X509> cert = parseCertificate(*text)) {
    description.text = describeCertificate(cert.get(), now);
  } else if (Owned<X509_CRL> crl = parseCrl(*text)) {
    description.text = describeCrl(crl.get());
  } else if (Owned<EVP_PKEY> key = parsePrivateKey(*text)) {
    description.text = describeKey(key.get());
    struct stat st {};
    description.looseKeyPermissions = ::stat(path.c_str(), &st) == 0 && (st.st_mode & 0077) != 0;
  } else {
    return makeError(ErrorCode::kInvalidValue,
                     path + ": not a PEM certificate, CRL or (unencrypted) private key");
  }
  description.text = "file: " + path + "\n" + description.text;
  return description;
}

}  // namespace loyalty::tools::ca
