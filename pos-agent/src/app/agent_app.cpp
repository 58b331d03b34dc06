#include "app/agent_app.h"

#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/Path.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionCallback.h>
#include <Poco/Util/OptionSet.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "app/settings.h"
#include "loyalty/protocol/coupon_code.h"
#include "outbox/outbox.h"
#include "server/agent_server.h"
#include "server/agent_service.h"

namespace loyalty::agent {

namespace {

Poco::Logger& agentLogger() { return Poco::Logger::get("loyalty.agent"); }

}  // namespace

void AgentApp::defineOptions(Poco::Util::OptionSet& options) {
  ServerApplication::defineOptions(options);
  options.addOption(
      Poco::Util::Option("config", "c", "load the configuration from FILE")
          .required(false)
          .repeatable(false)
          .argument("FILE")
          .callback(Poco::Util::OptionCallback<AgentApp>(this, &AgentApp::handleConfig)));
  options.addOption(
      Poco::Util::Option("help", "h", "show this help and exit")
          .required(false)
          .repeatable(false)
          .callback(Poco::Util::OptionCallback<AgentApp>(this, &AgentApp::handleHelp)));
}

void AgentApp::handleConfig(const std::string& /*name*/, const std::string& value) {
  // Made absolute now: a daemon changes its working directory to / after option processing.
  configFile_ = Poco::Path(value).absolute().toString();
}

void AgentApp::handleHelp(const std::string& /*name*/, const std::string& /*value*/) {
  helpRequested_ = true;
  Poco::Util::HelpFormatter help(options());
  help.setCommand(commandName());
  help.setUsage("[--config=FILE]");
  help.setHeader(
      "The loyalty pos-agent: local HTTP API for one checkout till, with an offline "
      "outbox for the loyalty-core.");
  help.format(std::cout);
  stopOptionsProcessing();
}

void AgentApp::initialize(Poco::Util::Application& self) {
  if (!helpRequested_) {
    try {
      if (!configFile_.empty()) {
        loadConfiguration(configFile_);
        baseDir_ = Poco::Path(configFile_).parent().toString();
      } else if (loadConfiguration() > 0) {
        // pos-agent.properties found beside the executable (or in a parent directory).
        baseDir_ = config().getString("application.configDir");
      } else {
        baseDir_ = Poco::Path::current();  // defaults only
      }
      // POCO 1.11 does not set this for an explicit file; logging paths may use it.
      config().setString("application.configDir", Poco::Path(baseDir_).makeDirectory().toString());
    } catch (const Poco::Exception& e) {
      configError_ = "cannot load the configuration " + configFile_ + ": " + e.displayText();
    }
  }
  ServerApplication::initialize(self);  // configures logging from the loaded files
}

int AgentApp::main(const std::vector<std::string>& /*args*/) {
  if (helpRequested_) {
    return EXIT_OK;
  }
  if (!configError_.empty()) {
    poco_fatal(agentLogger(), configError_);
    return EXIT_CONFIG;
  }
  base::Result<Settings> settings = readSettings(config(), baseDir_);
  if (!settings.ok()) {
    poco_fatal(agentLogger(), "bad configuration: " + settings.error().message);
    return EXIT_CONFIG;
  }
  base::Result<std::shared_ptr<const protocol::CouponVerifier>> couponKeys =
      loadCouponKeys(settings->couponKeyDir);
  if (!couponKeys.ok()) {
    poco_fatal(agentLogger(), "bad configuration: " + couponKeys.error().message);
    return EXIT_CONFIG;
  }
  if (*couponKeys == nullptr) {
    poco_warning(agentLogger(),
                 "no coupon keys (loyalty.agent.coupons.keyDir): coupons are refused offline");
  } else {
    poco_information(agentLogger(), "coupon keys: " + std::to_string((*couponKeys)->keyCount()) +
                                        " from " + settings->couponKeyDir);
  }

  base::Result<std::shared_ptr<ClientTls>> coreTls = loadCoreTls(*settings);
  if (!coreTls.ok()) {
    poco_fatal(agentLogger(), "bad configuration: " + coreTls.error().message);
    return EXIT_CONFIG;
  }
  settings->service.coreTls = *coreTls;
  if (*coreTls == nullptr) {
    poco_warning(agentLogger(),
                 "no TLS to the core (loyalty.agent.core.tls.*): plain HTTP, without "
                 "authentication; use only on a trusted network");
  } else {
    poco_information(agentLogger(), "TLS to the core as " + (*coreTls)->certificateSubject() +
                                        ", CA " + settings->coreTls.caCertificateFile);
  }

  base::Result<OutboxPtr> outbox = Outbox::open(settings->outboxPath);
  if (!outbox.ok()) {
    poco_fatal(agentLogger(), outbox.error().message);
    return EXIT_CANTCREAT;  // as loyalty-core does for its database (docs/operations.md)
  }
  auto service = std::make_unique<AgentService>(settings->service, **outbox, *couponKeys);
  service->start();
  base::Result<std::unique_ptr<AgentServer>> server =
      AgentServer::start(settings->server, *service);
  if (!server.ok()) {
    poco_fatal(agentLogger(), server.error().message);
    return EXIT_SOFTWARE;
  }
  int rc = EXIT_OK;
  if (!settings->portFile.empty()) {
    base::Status written =
        writeFileAtomically(settings->portFile, std::to_string((*server)->port()) + "\n");
    if (!written.ok()) {
      poco_fatal(agentLogger(), "cannot write the port file: " + written.error().message);
      rc = EXIT_CANTCREAT;
    }
  }
  if (rc == EXIT_OK) {
    poco_information(agentLogger(), "pos-agent ready on " + settings->server.host + ":" +
                                        std::to_string((*server)->port()) + ", core at " +
                                        (*coreTls != nullptr ? "https://" : "http://") +
                                        settings->service.coreHost + ":" +
                                        std::to_string(settings->service.corePort) + ", budget " +
                                        std::to_string(settings->service.budgetMs) + " ms");
    waitForTerminationRequest();
    poco_information(agentLogger(), "stopping");
  }

  (*server)->stop();  // no new requests; those in progress finish first
  service->stop();    // the sender finishes its current attempt
  service.reset();
  outbox->reset();  // closes the database cleanly (WAL checkpoint)
  if (*coreTls != nullptr) {
    poco_information(agentLogger(), "TLS to the core: " +
                                        std::to_string((*coreTls)->connections()) +
                                        " connections, " +
                                        std::to_string((*coreTls)->resumedConnections()) +
                                        " resumed a TLS session");
  }
  if (!settings->portFile.empty() && rc == EXIT_OK) {
    std::remove(settings->portFile.c_str());
  }
  poco_information(agentLogger(), "stopped");
  return rc;
}

}  // namespace loyalty::agent
