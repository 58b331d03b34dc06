// loyalty-keys: creates and inspects the Ed25519 key pairs that sign coupon codes
// (docs/protocol.md, "Coupon codes").
//
//   loyalty-keys generate --key-id N --out DIR   writes DIR/coupon-key-N.pem (private, mode 0600)
//                                                and DIR/coupon-key-N.pub.pem; never overwrites
//   loyalty-keys show FILE                       key id (from the file name), kind, fingerprint
//
// Exit status: 0 done, 1 failure (I/O, bad key file, file exists), 2 usage error.
// Single-threaded; no exception leaves main().
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/protocol/coupon_code.h"

namespace {

namespace fs = std::filesystem;
using loyalty::protocol::CouponSigner;
using loyalty::protocol::CouponVerifier;
using loyalty::protocol::couponKeyFingerprint;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

constexpr std::string_view kUsage =
    "usage:\n"
    "  loyalty-keys generate --key-id N --out DIR\n"
    "      Create a new Ed25519 coupon signing key pair with key id N (0..65535):\n"
    "      DIR/coupon-key-N.pem      private key (PKCS#8 PEM, mode 0600): for loyalty-core only\n"
    "      DIR/coupon-key-N.pub.pem  public key (PEM): for every pos-agent\n"
    "      DIR must exist; existing files are never overwritten.\n"
    "  loyalty-keys show FILE\n"
    "      Print the key id guessed from the file name, the kind of key and the fingerprint\n"
    "      (SHA-256 of the raw public key; a pair's two files show the same one).\n"
    "  loyalty-keys --help\n"
    "exit status: 0 ok, 1 failure, 2 usage error\n";

int usageError(const std::string& message) {
  std::cerr << "loyalty-keys: " << message << "\n" << kUsage;
  return kExitUsage;
}

int failure(const std::string& message) {
  std::cerr << "loyalty-keys: " << message << "\n";
  return kExitFailure;
}

// A key id: 1 to 5 digits, at most 65535.
std::optional<uint16_t> parseKeyId(std::string_view text) {
  if (text.empty() || text.size() > 5) {
    return std::nullopt;
  }
  uint32_t value = 0;
  for (const char c : text) {
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

std::string privateFileName(uint16_t keyId) {
  return "coupon-key-" + std::to_string(keyId) + ".pem";
}

std::string publicFileName(uint16_t keyId) {
  return "coupon-key-" + std::to_string(keyId) + ".pub.pem";
}

// The key id in a file name "coupon-key-N.pem" or "coupon-key-N.pub.pem", if it is one.
std::optional<uint16_t> keyIdFromFileName(const std::string& name) {
  constexpr std::string_view kPrefix = "coupon-key-";
  if (name.rfind(kPrefix, 0) != 0) {
    return std::nullopt;
  }
  for (const std::string_view suffix : {std::string_view(".pub.pem"), std::string_view(".pem")}) {
    if (name.size() > kPrefix.size() + suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      const auto id = parseKeyId(std::string_view(name).substr(
          kPrefix.size(), name.size() - kPrefix.size() - suffix.size()));
      if (id && name == (suffix == ".pem" ? privateFileName(*id) : publicFileName(*id))) {
        return id;  // the canonical spelling only (no leading zeros)
      }
    }
  }
  return std::nullopt;
}

struct KeyPairPem {
  std::string privatePem;
  std::string publicPem;
};

std::string bioText(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);  // NOLINT(google-runtime-int): OpenSSL API
  return length > 0 ? std::string(data, static_cast<size_t>(length)) : std::string();
}

std::optional<KeyPairPem> generateKeyPair() {
  using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
  using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
  PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), &EVP_PKEY_free);
  BioPtr priv(BIO_new(BIO_s_mem()), &BIO_free);
  BioPtr pub(BIO_new(BIO_s_mem()), &BIO_free);
  const bool ok =
      pkey != nullptr && priv != nullptr && pub != nullptr &&
      PEM_write_bio_PrivateKey(priv.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) ==
          1 &&
      PEM_write_bio_PUBKEY(pub.get(), pkey.get()) == 1;
  ERR_clear_error();
  if (!ok) {
    return std::nullopt;
  }
  return KeyPairPem{bioText(priv.get()), bioText(pub.get())};
}

// Creates `path` (which must not exist) with `mode` and writes `content`. On failure removes
// what it created and returns the reason.
std::optional<std::string> writeNewFile(const fs::path& path, const std::string& content,
                                        mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return path.string() + ": " + std::strerror(errno);
  }
  bool ok = ::fchmod(fd, mode) == 0;  // whatever the umask
  size_t written = 0;
  while (ok && written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    ok = n > 0;
    written += ok ? static_cast<size_t>(n) : 0;
  }
  ok = ok && ::fsync(fd) == 0;
  const int savedErrno = errno;
  ok = (::close(fd) == 0) && ok;
  if (!ok) {
    ::unlink(path.c_str());
    return path.string() + ": " + std::strerror(savedErrno != 0 ? savedErrno : EIO);
  }
  return std::nullopt;
}

int generate(const std::vector<std::string>& args) {
  std::optional<uint16_t> keyId;
  std::optional<std::string> outDir;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if ((arg == "--key-id" || arg == "--out") && i + 1 >= args.size()) {
      return usageError(arg + " needs a value");
    }
    if (arg == "--key-id") {
      keyId = parseKeyId(args[++i]);
      if (!keyId) {
        return usageError("--key-id must be a number from 0 to 65535, not '" + args[i] + "'");
      }
    } else if (arg == "--out") {
      outDir = args[++i];
    } else {
      return usageError("generate: unexpected argument '" + arg + "'");
    }
  }
  if (!keyId || !outDir) {
    return usageError("generate needs --key-id N and --out DIR");
  }
  std::error_code ec;
  if (!fs::is_directory(*outDir, ec)) {
    return failure(*outDir + ": not a directory");
  }
  const fs::path privatePath = fs::path(*outDir) / privateFileName(*keyId);
  const fs::path publicPath = fs::path(*outDir) / publicFileName(*keyId);
  for (const fs::path& path : {privatePath, publicPath}) {
    if (fs::symlink_status(path, ec).type() != fs::file_type::not_found) {
      return failure(path.string() + " already exists; refusing to overwrite a key");
    }
  }
  const auto pair = generateKeyPair();
  if (!pair) {
    return failure("OpenSSL could not generate an Ed25519 key");
  }
  if (auto error = writeNewFile(privatePath, pair->privatePem, 0600)) {
    return failure(*error);
  }
  if (auto error = writeNewFile(publicPath, pair->publicPem, 0644)) {
    ::unlink(privatePath.c_str());  // created just above: leave no half pair behind
    return failure(*error);
  }
  const auto fingerprint = couponKeyFingerprint(pair->publicPem);
  std::cout << "wrote " << privatePath.string() << " (private key, mode 0600: loyalty-core only)\n"
            << "wrote " << publicPath.string() << " (public key: for the pos-agents)\n"
            << "key id: " << *keyId << "\n"
            << "fingerprint: " << (fingerprint.ok() ? *fingerprint : "unavailable") << "\n";
  return kExitOk;
}

int show(const std::vector<std::string>& args) {
  if (args.size() != 1) {
    return usageError("show needs exactly one FILE");
  }
  const fs::path path(args[0]);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return failure(path.string() + ": cannot open");
  }
  std::ostringstream content;
  content << in.rdbuf();
  const std::string pem = content.str();

  std::string kind;
  if (CouponVerifier().addPublicKeyPem(0, pem).ok()) {
    kind = "public key (Ed25519)";
  } else if (CouponSigner::fromPem(pem, 0).ok()) {
    kind = "private key (Ed25519)";
  } else {
    return failure(path.string() + ": not an Ed25519 PEM key (an encrypted key is not supported)");
  }
  const auto fingerprint = couponKeyFingerprint(pem);
  if (!fingerprint.ok()) {
    return failure(path.string() + ": " + fingerprint.error().message);
  }
  const auto keyId = keyIdFromFileName(path.filename().string());
  std::cout << "file: " << path.string() << "\n"
            << "kind: " << kind << "\n"
            << "key id (from the file name): "
            << (keyId ? std::to_string(*keyId) : "unknown (not coupon-key-N[.pub].pem)") << "\n"
            << "fingerprint: " << *fingerprint << "\n";
  struct stat st {};
  if (kind.rfind("private", 0) == 0 && ::stat(path.c_str(), &st) == 0 &&
      (st.st_mode & 0077) != 0) {
    std::cerr << "loyalty-keys: warning: " << path.string()
              << " is readable by group or others; chmod 600 it\n";
  }
  return kExitOk;
}

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  if (args.empty()) {
    return usageError("a command is needed");
  }
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return kExitOk;
    }
  }
  const std::string command = args.front();
  args.erase(args.begin());
  if (command == "generate") {
    return generate(args);
  }
  if (command == "show") {
    return show(args);
  }
  return usageError("unknown command '" + command + "'");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "loyalty-keys: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "loyalty-keys: unexpected error\n";
  }
  return kExitFailure;
}
