#include "app/settings.h"

#include <Poco/Exception.h>
#include <Poco/Path.h>
#include <Poco/StringTokenizer.h>

#include <algorithm>
#include <thread>
#include <utility>
#include <vector>

namespace loyalty::core::app {
namespace {

using base::ErrorCode;

base::Error badKey(const std::string& key, const std::string& what) {
  return base::makeError(ErrorCode::kInvalidValue, "configuration key " + key + ": " + what);
}

std::string resolve(const std::string& path, const std::string& baseDir) {
  if (path.empty()) {
    return path;
  }
  Poco::Path p(path);
  if (p.isAbsolute() || baseDir.empty()) {
    return p.toString();
  }
  return Poco::Path(Poco::Path::forDirectory(baseDir), p).toString();
}

const char* const kKnownKeys[] = {
    "http.host",          "http.port",          "http.portFile",
    "http.threads",       "http.queue",         "http.keepAliveTimeoutS",
    "http.engine",        "http.ioThreads",
    "storage.path",       "storage.maxBatch",   "storage.readConnections",
    "earn.pointsPerUnit", "earn.unitMinor",     "earn.excludedCategories",
    "coupons.keyDir",     "coupons.signingKeyId",
    "admin.bootstrapUser", "admin.bootstrapPasswordFile", "admin.tokenMinutes",
    "admin.passwordIterations", "personalization.refreshMinutes",
};

// The loyalty.core.tls.* keys (docs/configuration.md).
const char* const kTlsKeys[] = {
    "tls.certificate", "tls.privateKey", "tls.caCertificate", "tls.crl",
    "tls.requireClientCertificate",
};

base::Result<TlsSettings> readTlsSettings(const Poco::Util::AbstractConfiguration& c,
                                          const std::string& p, const std::string& baseDir) {
  TlsSettings tls;
  tls.certificate = resolve(c.getString(p + "tls.certificate", ""), baseDir);
  tls.privateKey = resolve(c.getString(p + "tls.privateKey", ""), baseDir);
  tls.caCertificate = resolve(c.getString(p + "tls.caCertificate", ""), baseDir);
  tls.crl = resolve(c.getString(p + "tls.crl", ""), baseDir);
  try {
    tls.requireClientCertificate = c.getBool(p + "tls.requireClientCertificate", true);
  } catch (const Poco::Exception&) {
    return badKey(p + "tls.requireClientCertificate", "must be true or false");
  }
  if (tls.enabled() && (tls.privateKey.empty() || tls.caCertificate.empty())) {
    return badKey(p + "tls.certificate", "needs tls.privateKey and tls.caCertificate too");
  }
  if (!tls.enabled() && (!tls.privateKey.empty() || !tls.caCertificate.empty() ||
                         !tls.crl.empty() || c.hasProperty(p + "tls.requireClientCertificate"))) {
    return badKey(p + "tls.certificate",
                  "must be set when another tls.* key is (TLS is on exactly when it is set)");
  }
  return tls;
}

// Collects every leaf key below root ("loyalty.core"), relative to it.
void leafKeys(const Poco::Util::AbstractConfiguration& c, const std::string& root,
              const std::string& rel, std::vector<std::string>& out) {
  Poco::Util::AbstractConfiguration::Keys children;
  c.keys(rel.empty() ? root : root + "." + rel, children);
  if (children.empty()) {
    out.push_back(rel);
    return;
  }
  for (const auto& k : children) {
    leafKeys(c, root, rel.empty() ? k : rel + "." + k, out);
  }
}

}  // namespace

base::Result<Settings> readSettings(const Poco::Util::AbstractConfiguration& c,
                                    const std::string& baseDir) {
  Settings s;
  const std::string p = "loyalty.core.";
  // An unknown key is most likely a typo that would silently leave a default in force.
  std::vector<std::string> present;
  if (c.has("loyalty.core")) {
    leafKeys(c, "loyalty.core", "", present);
  }
  for (const auto& k : present) {
    bool known = false;
    for (const char* kk : kKnownKeys) {
      known = known || k == kk;
    }
    for (const char* kk : kTlsKeys) {
      known = known || k == kk;
    }
    if (!known && !k.empty()) {
      return badKey(p + k, "unknown key");
    }
  }
  auto readInt = [&](const std::string& key, int64_t def, int64_t lo, int64_t hi,
                     int64_t& out) -> base::Status {
    try {
      int64_t v = c.getInt64(p + key, def);
      if (v < lo || v > hi) {
        return badKey(p + key, "must be " + std::to_string(lo) + ".." + std::to_string(hi));
      }
      out = v;
      return base::Status();
    } catch (const Poco::Exception& e) {
      return badKey(p + key, "not a whole number");
    }
  };
  int64_t v = 0;
  s.httpHost = c.getString(p + "http.host", s.httpHost);
  if (auto st = readInt("http.port", s.httpPort, 0, 65535, v); !st.ok()) return st.error();
  s.httpPort = static_cast<uint16_t>(v);
  s.portFile = resolve(c.getString(p + "http.portFile", ""), baseDir);
  if (auto st = readInt("http.threads", s.httpThreads, 1, 1024, v); !st.ok()) return st.error();
  s.httpThreads = static_cast<int>(v);
  if (auto st = readInt("http.queue", s.httpQueue, 1, 100000, v); !st.ok()) return st.error();
  s.httpQueue = static_cast<int>(v);
  if (auto st = readInt("http.keepAliveTimeoutS", s.keepAliveTimeoutS, 1, 3600, v); !st.ok())
    return st.error();
  s.keepAliveTimeoutS = static_cast<int>(v);
  s.httpEngine = c.getString(p + "http.engine", s.httpEngine);
  if (s.httpEngine != "poco" && s.httpEngine != "event") {
    return badKey(p + "http.engine", "must be poco or event");
  }
  s.databasePath = resolve(c.getString(p + "storage.path", s.databasePath), baseDir);
  if (s.databasePath.empty()) {
    return badKey(p + "storage.path", "must not be empty");
  }
  if (auto st = readInt("storage.maxBatch", s.storageMaxBatch, 1, 100000, v); !st.ok())
    return st.error();
  s.storageMaxBatch = static_cast<int>(v);
  if (auto st = readInt("storage.readConnections", s.storageReadConnections, 1, 64, v); !st.ok())
    return st.error();
  s.storageReadConnections = static_cast<int>(v);
  if (auto st = readInt("earn.pointsPerUnit", s.earn.pointsPerUnit, 0, 1000, v); !st.ok())
    return st.error();
  s.earn.pointsPerUnit = v;
  if (auto st = readInt("earn.unitMinor", s.earn.unitMinor, 1, 1000000, v); !st.ok())
    return st.error();
  s.earn.unitMinor = v;
  if (c.hasProperty(p + "earn.excludedCategories")) {
    s.earn.excludedCategories.clear();
    Poco::StringTokenizer tok(c.getString(p + "earn.excludedCategories"), ",",
                              Poco::StringTokenizer::TOK_TRIM |
                                  Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& t : tok) {
      s.earn.excludedCategories.push_back(t);
    }
  }
  s.couponKeyDir = resolve(c.getString(p + "coupons.keyDir", ""), baseDir);
  if (auto st = readInt("coupons.signingKeyId", s.couponSigningKeyId, 0, 65535, v); !st.ok())
    return st.error();
  s.couponSigningKeyId = static_cast<int>(v);
  s.bootstrapUser = c.getString(p + "admin.bootstrapUser", "");
  s.bootstrapPasswordFile = resolve(c.getString(p + "admin.bootstrapPasswordFile", ""), baseDir);
  if (s.bootstrapUser.empty() != s.bootstrapPasswordFile.empty()) {
    return badKey(p + "admin.bootstrapUser",
                  "admin.bootstrapUser and admin.bootstrapPasswordFile go together");
  }
  if (auto st = readInt("admin.tokenMinutes", s.tokenMinutes, 1, 10080, v); !st.ok())
    return st.error();
  s.tokenMinutes = v;
  if (auto st = readInt("admin.passwordIterations", s.passwordIterations, 1000, 10000000, v);
      !st.ok())
    return st.error();
  s.passwordIterations = v;
  if (auto st = readInt("personalization.refreshMinutes", s.neighbourRefreshMinutes, 1, 10080, v);
      !st.ok())
    return st.error();
  s.neighbourRefreshMinutes = v;
  auto tls = readTlsSettings(c, p, baseDir);
  if (!tls.ok()) {
    return tls.error();
  }
  s.tls = std::move(tls).value();
  if (auto st = readInt("http.ioThreads", 0, 0, 64, v); !st.ok()) {
    return st.error();
  }
  if (v > 0) {
    s.httpIoThreads = static_cast<int>(v);
  } else if (s.tls.enabled()) {
    // TLS handshakes are CPU work on the I/O threads: spread them over the cores.
    s.httpIoThreads = std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 2, 4);
  } else {
    s.httpIoThreads = 1;
  }
  return s;
}

}  // namespace loyalty::core::app
