// AgentApp: the pos-agent daemon (Poco::Util::ServerApplication).
//
// Lifecycle (POCO's ServerApplication pattern): the constructor does nothing; options are parsed
// (--config=FILE, --help, plus POCO's --daemon/--pidfile/--umask); initialize() loads the
// configuration and logging; main() reads the Settings and the coupon keys, opens the outbox,
// starts the sender, the offers refresher and the HTTP server, writes the port file if
// configured, and waits for SIGTERM/SIGINT; then it stops accepting, stops the sender and the
// refresher, and closes the outbox cleanly.
// Exit codes: EXIT_OK; EXIT_CONFIG for a bad or missing configuration (including a
// coupons.keyDir whose keys cannot be loaded); EXIT_CANTCREAT when the outbox cannot be opened
// or the port file cannot be written; EXIT_SOFTWARE when the address cannot be bound.
//
// Thread safety: used from the main thread only.
#pragma once

#include <Poco/Util/ServerApplication.h>

#include <string>
#include <vector>

namespace loyalty::agent {

class AgentApp : public Poco::Util::ServerApplication {
 public:
  AgentApp() = default;

 protected:
  void defineOptions(Poco::Util::OptionSet& options) override;
  void initialize(Poco::Util::Application& self) override;
  int main(const std::vector<std::string>& args) override;

 private:
  void handleConfig(const std::string& name, const std::string& value);
  void handleHelp(const std::string& name, const std::string& value);

  bool helpRequested_ = false;
  std::string configFile_;   // absolute, from --config
  std::string configError_;  // why the configuration could not be loaded
  std::string baseDir_;      // where relative paths in the configuration start
};

}  // namespace loyalty::agent
