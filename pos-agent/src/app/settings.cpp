#include "app/settings.h"

#include <Poco/Exception.h>
#include <Poco/Path.h>
#include <Poco/Util/AbstractConfiguration.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <set>
#include <utility>
#include <vector>

#include "loyalty/protocol/coupon_code.h"

namespace loyalty::agent {

namespace {

using base::ErrorCode;
using base::makeError;

// Every key the agent reads, without the "loyalty.agent." prefix.
const std::set<std::string>& knownKeys() {
  static const std::set<std::string> keys = {
      "http.host",
      "http.port",
      "http.portFile",
      "http.threads",
      "core.host",
      "core.port",
      "core.budgetMs",
      "core.offlineHoldMs",
      "core.deliveryTimeoutMs",
      "outbox.path",
      "outbox.retryInitialMs",
      "outbox.retryMaxMs",
      "outbox.deliveryConcurrency",
      "coupons.keyDir",
      "offers.refreshSeconds",
      "core.tls.caCertificate",
      "core.tls.certificate",
      "core.tls.privateKey",
  };
  return keys;
}

void collectKeys(const Poco::Util::AbstractConfiguration& config, const std::string& key,
                 std::vector<std::string>& leaves) {
  Poco::Util::AbstractConfiguration::Keys children;
  config.keys(key, children);
  if (children.empty()) {
    leaves.push_back(key);
    return;
  }
  for (const std::string& child : children) {
    collectKeys(config, key + "." + child, leaves);
  }
}

// Reads loyalty.agent.<key> values, remembering the first problem found.
class Reader {
 public:
  explicit Reader(const Poco::Util::AbstractConfiguration& config) : config_(config) {}

  std::string string(const std::string& key, const std::string& fallback) {
    std::string value = fallback;
    try {
      value = config_.getString(kConfigPrefix + key, fallback);
    } catch (const Poco::Exception& e) {
      fail(key, e.displayText());
    }
    return value;
  }

  std::string nonEmpty(const std::string& key, const std::string& fallback) {
    std::string value = string(key, fallback);
    if (value.empty()) {
      fail(key, "must not be empty");
    }
    return value;
  }

  int64_t integer(const std::string& key, int64_t fallback, int64_t min, int64_t max) {
    std::string text = string(key, std::to_string(fallback));
    int64_t value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end) {
      fail(key, "'" + text + "' is not a whole number");
      return fallback;
    }
    if (value < min || value > max) {
      fail(key, std::to_string(value) + " is outside " + std::to_string(min) + ".." +
                    std::to_string(max));
      return fallback;
    }
    return value;
  }

  void fail(const std::string& key, const std::string& problem) {
    if (error_.empty()) {
      error_ = kConfigPrefix + key + ": " + problem;
    }
  }

  const std::string& error() const { return error_; }

 private:
  const Poco::Util::AbstractConfiguration& config_;
  std::string error_;  // the first problem found
};

std::string resolvePath(const std::string& baseDir, const std::string& value) {
  Poco::Path base(baseDir);
  base.makeDirectory();
  base.makeAbsolute();
  base.resolve(Poco::Path(value));
  return base.toString();
}

}  // namespace

base::Result<Settings> readSettings(const Poco::Util::AbstractConfiguration& config,
                                    const std::string& baseDir) {
  std::vector<std::string> present;
  std::string root(kConfigPrefix, std::char_traits<char>::length(kConfigPrefix) - 1);
  Poco::Util::AbstractConfiguration::Keys top;
  config.keys(root, top);
  for (const std::string& child : top) {
    collectKeys(config, root + "." + child, present);
  }
  for (const std::string& key : present) {
    if (knownKeys().count(key.substr(root.size() + 1)) == 0) {
      return makeError(ErrorCode::kInvalidValue, key + ": unknown configuration key");
    }
  }

  Reader read(config);
  Settings s;
  s.server.host = read.nonEmpty("http.host", "127.0.0.1");
  s.server.port = static_cast<uint16_t>(read.integer("http.port", 8441, 0, 65535));
  s.server.threads = static_cast<int>(read.integer("http.threads", 8, 1, 256));
  std::string portFile = read.string("http.portFile", "");
  s.portFile = portFile.empty() ? std::string() : resolvePath(baseDir, portFile);

  s.service.coreHost = read.nonEmpty("core.host", "127.0.0.1");
  s.service.corePort = static_cast<uint16_t>(read.integer("core.port", 8440, 1, 65535));
  s.service.budgetMs = static_cast<int>(read.integer("core.budgetMs", 300, 1, 60'000));
  s.service.offlineHoldMs =
      static_cast<int>(read.integer("core.offlineHoldMs", 5000, 0, 600'000));
  s.service.deliveryTimeoutMs =
      static_cast<int>(read.integer("core.deliveryTimeoutMs", 5000, 1, 600'000));

  s.outboxPath = resolvePath(baseDir, read.nonEmpty("outbox.path", "pos-agent.db"));
  s.service.retryInitialMs =
      static_cast<int>(read.integer("outbox.retryInitialMs", 50, 1, 3'600'000));
  s.service.retryMaxMs = static_cast<int>(
      read.integer("outbox.retryMaxMs", 2000, s.service.retryInitialMs, 3'600'000));
  s.service.deliveryConcurrency = static_cast<int>(read.integer(
      "outbox.deliveryConcurrency", AgentServiceOptions().deliveryConcurrency, 1,
      kMaxDeliveryConcurrency));

  std::string keyDir = read.string("coupons.keyDir", "");
  s.couponKeyDir = keyDir.empty() ? std::string() : resolvePath(baseDir, keyDir);
  s.service.offersRefreshSeconds =
      static_cast<int>(read.integer("offers.refreshSeconds", 60, 5, 3600));

  const std::string tlsKeys[] = {"core.tls.caCertificate", "core.tls.certificate",
                                  "core.tls.privateKey"};
  std::string* tlsFiles[] = {&s.coreTls.caCertificateFile, &s.coreTls.certificateFile,
                             &s.coreTls.privateKeyFile};
  int tlsSet = 0;
  for (size_t i = 0; i < 3; ++i) {
    std::string value = read.string(tlsKeys[i], "");
    *tlsFiles[i] = value.empty() ? std::string() : resolvePath(baseDir, value);
    tlsSet += value.empty() ? 0 : 1;
  }
  if (tlsSet != 0 && tlsSet != 3) {
    read.fail("core.tls.caCertificate",
              "core.tls.caCertificate, core.tls.certificate and core.tls.privateKey go together "
              "(all three for TLS to the core, or none)");
  }

  if (!read.error().empty()) {
    return makeError(ErrorCode::kInvalidValue, read.error());
  }
  return s;
}

base::Result<std::shared_ptr<ClientTls>> loadCoreTls(const Settings& settings) {
  if (!settings.coreTlsEnabled()) {
    return std::shared_ptr<ClientTls>();
  }
  base::Result<std::shared_ptr<ClientTls>> tls = ClientTls::create(settings.coreTls);
  if (!tls.ok()) {
    return makeError(ErrorCode::kInvalidValue,
                     std::string(kConfigPrefix) + "core.tls.*: " + tls.error().message);
  }
  return tls;
}

base::Result<std::shared_ptr<const protocol::CouponVerifier>> loadCouponKeys(
    const std::string& keyDir) {
  if (keyDir.empty()) {
    return std::shared_ptr<const protocol::CouponVerifier>();
  }
  base::Result<protocol::CouponVerifier> verifier = protocol::loadCouponVerifier(keyDir);
  if (!verifier.ok()) {
    return makeError(ErrorCode::kInvalidValue,
                     std::string(kConfigPrefix) + "coupons.keyDir: " + verifier.error().message);
  }
  return std::shared_ptr<const protocol::CouponVerifier>(
      std::make_shared<protocol::CouponVerifier>(std::move(verifier).value()));
}

base::Status writeFileAtomically(const std::string& path, const std::string& content) {
  std::string temp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) {
      std::remove(temp.c_str());
      return makeError(ErrorCode::kStorageFailure, "cannot write " + temp);
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    return makeError(ErrorCode::kStorageFailure, "cannot rename " + temp + " to " + path);
  }
  return base::okStatus();
}

}  // namespace loyalty::agent
