#include "app/core_app.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include <Poco/File.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Path.h>
#include <Poco/ThreadPool.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>

#include "admin/admin_api.h"
#include "app/coupon_keys_adapter.h"
#include "app/server_tls.h"
#include "app/neighbour_refresher.h"
#include "app/settings.h"
#include "domain/catalogue.h"
#include "domain/checkout_service.h"
#include "domain/clock.h"
#include "http/event_server.h"
#include "http/handlers.h"
#include "http/router.h"
#include "storage/sqlite/sqlite_store.h"

namespace loyalty::core::app {
namespace {

// Longest wait for the next bytes of a request that has started.
constexpr int kRequestTimeoutS = 10;

class SystemClock final : public domain::Clock {
 public:
  int64_t nowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// Writes the port atomically (temp file + rename) so a reader never sees a partial number.
bool writePortFile(const std::string& path, uint16_t port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out.good()) {
      return false;
    }
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

void LoyaltyCoreApp::defineOptions(Poco::Util::OptionSet& options) {
  ServerApplication::defineOptions(options);
  options.addOption(Poco::Util::Option("help", "h", "print this help and exit")
                        .required(false)
                        .repeatable(false));
  options.addOption(Poco::Util::Option("config", "c", "load the configuration from FILE")
                        .required(false)
                        .repeatable(false)
                        .argument("FILE"));
}

void LoyaltyCoreApp::handleOption(const std::string& name, const std::string& value) {
  ServerApplication::handleOption(name, value);
  if (name == "help") {
    helpRequested_ = true;
    stopOptionsProcessing();
  } else if (name == "config") {
    configFile_ = value;
  }
}

void LoyaltyCoreApp::initialize(Poco::Util::Application& self) {
  try {
    if (!configFile_.empty()) {
      Poco::Path path(configFile_);
      path.makeAbsolute();
      loadConfiguration(path.toString());
      configDir_ = path.parent().toString();
    } else if (loadConfiguration() > 0) {
      configDir_ = config().getString("application.configDir", "");
    } else {
      configDir_ = Poco::Path::current();
    }
  } catch (const Poco::Exception& e) {
    std::cerr << "loyalty-core: cannot load configuration: " << e.displayText() << "\n";
    configError_ = true;
  }
  ServerApplication::initialize(self);
}

int LoyaltyCoreApp::main(const std::vector<std::string>& /*args*/) {
  if (helpRequested_) {
    Poco::Util::HelpFormatter help(options());
    help.setCommand(commandName());
    help.setUsage("[--config=FILE]");
    help.setHeader("The loyalty-core server: points, sales history and the checkout API.");
    help.format(std::cout);
    return EXIT_OK;
  }
  if (configError_) {
    return EXIT_CONFIG;
  }
  auto& log = logger();
  auto settings = readSettings(config(), configDir_);
  if (!settings.ok()) {
    log.error(settings.error().message);
    return EXIT_CONFIG;
  }
  std::unique_ptr<CouponKeys> couponKeys;
  if (!settings->couponKeyDir.empty()) {
    auto keys = CouponKeys::load(settings->couponKeyDir,
                                 static_cast<uint16_t>(settings->couponSigningKeyId));
    if (!keys.ok()) {
      log.error("coupon keys: " + keys.error().message);
      return EXIT_CONFIG;
    }
    couponKeys = std::move(keys).value();
  }
  std::string bootstrapPassword;
  if (!settings->bootstrapPasswordFile.empty()) {
    std::ifstream in(settings->bootstrapPasswordFile);
    if (!in || !std::getline(in, bootstrapPassword)) {
      log.error("cannot read the bootstrap password file " + settings->bootstrapPasswordFile);
      return EXIT_CONFIG;
    }
  }

  storage::SqliteOptions storeOptions;
  storeOptions.path = settings->databasePath;
  storeOptions.maxBatch = settings->storageMaxBatch;
  storeOptions.readConnections = settings->storageReadConnections;
  auto store = storage::SqliteStore::open(storeOptions);
  if (!store.ok()) {
    log.error("cannot open the database: " + store.error().message);
    return EXIT_CANTCREAT;
  }

  SystemClock clock;
  // The programme HQ stored last, or on first start one with the configured base rate.
  domain::Programme initial;
  initial.earn.base = settings->earn;
  auto stored = admin::loadStoredProgramme(**store);
  if (!stored.ok()) {
    log.error("stored programme: " + stored.error().message);
    return EXIT_SOFTWARE;
  }
  if (stored->has_value()) {
    initial = std::move(**stored);
  } else if (auto valid = domain::validate(initial); !valid.ok()) {
    log.error("earn rule: " + valid.error().message);
    return EXIT_CONFIG;
  }
  domain::ProgrammeHolder programme(std::move(initial));
  domain::CampaignBook campaigns;
  if (auto loaded = campaigns.reload(**store); !loaded.ok()) {
    log.error("cannot load the campaigns: " + loaded.error().message);
    return EXIT_SOFTWARE;
  }
  admin::AdminOptions adminOptions;
  adminOptions.tokenMinutes = settings->tokenMinutes;
  adminOptions.passwordIterations = settings->passwordIterations;
  if (!settings->bootstrapUser.empty()) {
    auto created = admin::ensureBootstrapUser(**store, settings->bootstrapUser,
                                              bootstrapPassword, adminOptions, clock.nowMs());
    if (!created.ok()) {
      log.error("bootstrap user: " + created.error().message);
      return EXIT_CONFIG;
    }
  }
  domain::Catalogue catalogue;
  personalization::NeighbourBook neighbours;
  NeighbourRefresher refresher(**store, neighbours, clock, settings->neighbourRefreshMinutes, log);
  domain::CheckoutService service(domain::CheckoutDeps{**store, catalogue, clock, programme,
                                                       campaigns, couponKeys.get(),
                                                       couponKeys.get(), &neighbours});
  if (auto loaded = service.loadCatalogue(); !loaded.ok()) {
    log.error("cannot load the catalogue: " + loaded.error().message);
    return EXIT_SOFTWARE;
  }

  http::Router router;
  http::addCoreRoutes(router, service);
  admin::AdminContext adminContext{**store,   service, catalogue,        programme,
                                   campaigns, couponKeys.get(), clock, adminOptions};
  admin::addAdminRoutes(router, adminContext);

  // HTTPS only when loyalty.core.tls.certificate is set (app/server_tls.h), on either engine.
  // Declared before the server so that it outlives every connection.
  std::unique_ptr<ServerTls> tls;
  if (settings->tls.enabled()) {
    auto created = ServerTls::create(settings->tls);
    if (!created.ok()) {
      log.error("TLS: " + created.error().message);
      return EXIT_CONFIG;
    }
    tls = std::move(created).value();
    log.information("TLS: " + tls->summary());
  }
  if (settings->httpEngine == "event") {
    // Event-driven engine (http/event_server.h): idle keep-alive connections hold no thread;
    // TLS handshakes and records on its I/O threads.
    http::EventServerOptions options;
    options.host = settings->httpHost;
    options.port = settings->httpPort;
    options.workerThreads = settings->httpThreads;
    options.ioThreads = settings->httpIoThreads;
    options.keepAliveTimeout = std::chrono::seconds(settings->keepAliveTimeoutS);
    options.requestTimeout = std::chrono::seconds(kRequestTimeoutS);
    options.stopGrace = std::chrono::milliseconds(500);
    options.tls = tls != nullptr ? tls->context()->sslContext() : nullptr;
    http::EventServer server(router, options);
    if (auto started = server.start(); !started.ok()) {
      log.error("HTTP server: " + started.error().message);
      return EXIT_SOFTWARE;
    }
    log.information("loyalty-core listening on " + settings->httpHost + ":" +
                    std::to_string(server.port()) + (tls != nullptr ? " (HTTPS" : " (HTTP") +
                    ", event engine, " + std::to_string(settings->httpIoThreads) +
                    " I/O threads, " + std::to_string(settings->httpThreads) +
                    " workers, open-file limit " + std::to_string(server.openFileLimit()) +
                    "), database " + settings->databasePath + ", " +
                    std::to_string(catalogue.size()) + " products");
    if (!settings->portFile.empty() && !writePortFile(settings->portFile, server.port())) {
      log.error("cannot write the port file " + settings->portFile);
      server.stop();
      return EXIT_CANTCREAT;
    }
    waitForTerminationRequest();
    log.information("loyalty-core stopping");
    server.stop();  // requests in flight finish within 500 ms; idle connections close at once
    if (tls != nullptr) {
      const http::EventServerTlsCounts counts = server.tlsCounts();
      log.information("TLS: " + std::to_string(counts.handshakes) + " handshakes, " +
                      std::to_string(counts.resumed) + " resumed, " +
                      std::to_string(counts.failed) + " failed or abandoned");
    }
    return EXIT_OK;
  }
  try {
    Poco::Net::ServerSocket socket =
        tls != nullptr ? tls->newServerSocket() : Poco::Net::ServerSocket();
    socket.bind(Poco::Net::SocketAddress(settings->httpHost, settings->httpPort), true);
    socket.listen(1024);
    const uint16_t port = socket.address().port();

    Poco::ThreadPool pool("http", 2, settings->httpThreads);
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(settings->httpThreads);
    params->setMaxQueued(settings->httpQueue);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(0);  // unlimited
    params->setKeepAliveTimeout(Poco::Timespan(settings->keepAliveTimeoutS, 0));
    params->setTimeout(Poco::Timespan(kRequestTimeoutS, 0));  // a stalled request is dropped
    Poco::Net::HTTPServer server(new http::RouterFactory(router), pool, socket, params);
    server.start();
    log.information("loyalty-core listening on %s:%hu (%s), database %s, %z products",
                    settings->httpHost, port, std::string(tls != nullptr ? "HTTPS" : "HTTP"),
                    settings->databasePath, catalogue.size());
    if (!settings->portFile.empty() && !writePortFile(settings->portFile, port)) {
      log.error("cannot write the port file " + settings->portFile);
      server.stop();
      return EXIT_CANTCREAT;
    }
    waitForTerminationRequest();
    log.information("loyalty-core stopping");
    // Requests in flight finish; idle keep-alive connections would otherwise hold the stop until
    // their timeout, so whatever is still open after a short grace period is closed.
    server.stopAll(false);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    while (server.currentConnections() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    server.stopAll(true);
    pool.joinAll();
  } catch (const Poco::Exception& e) {
    log.error("HTTP server: " + e.displayText());
    return EXIT_SOFTWARE;
  }
  return EXIT_OK;
}

}  // namespace loyalty::core::app
