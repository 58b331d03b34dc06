// LoyaltyCoreApp: the loyalty-core daemon (Poco ServerApplication) and the composition root —
// the only place that chooses the storage implementation.
//
// Lifecycle (style.md, POCO): the constructor only registers options; initialize() loads the
// configuration; main() opens the database, starts the HTTP server, waits for SIGINT/SIGTERM and
// stops cleanly (in-flight requests finish, the storage writer drains and closes).
#pragma once

#include <string>
#include <vector>

#include <Poco/Util/ServerApplication.h>

namespace loyalty::core::app {

class LoyaltyCoreApp final : public Poco::Util::ServerApplication {
 protected:
  void initialize(Poco::Util::Application& self) override;
  void defineOptions(Poco::Util::OptionSet& options) override;
  void handleOption(const std::string& name, const std::string& value) override;
  int main(const std::vector<std::string>& args) override;

 private:
  std::string configFile_;
  std::string configDir_;
  bool helpRequested_ = false;
  bool configError_ = false;
};

}  // namespace loyalty::core::app
