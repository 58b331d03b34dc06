// loyaltyctl: the admin command line over the loyalty-core's HTTP API. The commands live in
// ctl.cpp; this file only connects them to the real HTTP client and the process.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "loyalty/agent/client.h"
#include "loyaltyctl/ctl.h"

namespace loyalty::tools {
namespace {

class ClientCoreApi final : public CoreApi {
 public:
  ClientCoreApi(const Endpoint& core, int timeoutMs)
      : client_(agent::ClientOptions{core.host, core.port, timeoutMs}) {}

  base::Result<protocol::CustomerHistory> history(const std::string& card) override {
    return client_.history(card);
  }
  base::Result<protocol::CatalogueImportResponse> importCatalogue(const std::string& csv) override {
    return client_.importCatalogue(csv);
  }

 private:
  agent::Client client_;
};

}  // namespace
}  // namespace loyalty::tools

int main(int argc, char** argv) {
  using loyalty::tools::ClientCoreApi;
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return loyalty::tools::runLoyaltyctl(
        args, std::getenv(loyalty::tools::kCoreEnvVar),
        [](const loyalty::tools::Endpoint& core, int timeoutMs) {
          return std::make_unique<ClientCoreApi>(core, timeoutMs);
        },
        std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "loyaltyctl: internal: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "loyaltyctl: internal: unexpected exception\n";
  }
  return 1;
}
