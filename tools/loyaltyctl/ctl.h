// loyaltyctl's commands, separate from main() so that the tests can drive them with a fake core.
//
//   loyaltyctl [--core H:P] [--json] [--timeout-ms N] COMMAND ...
//     customer show CARD      balance, tier, enrolled date, recent sales and the points ledger
//     catalogue import FILE   PUT the CSV file to /v1/admin/catalogue
//     help                    usage
// The core address is --core, else the LOYALTY_CORE environment variable, else 127.0.0.1:8440.
// Options may come before or after the command words.
//
// Exit status: 0 done; 1 the command failed (printed to `err` as "loyaltyctl: <code>: <detail>",
// <code> being the wire name of the error, e.g. "unknown_customer"); 2 bad usage (message and a
// hint on `err`). A card number that fails protocol::isValidCard is refused with invalid_card
// before any request is made.
//
// Thread safety: runLoyaltyctl() is re-entrant given distinct streams and a re-entrant factory.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "common/endpoint.h"
#include "loyalty/base/result.h"
#include "loyalty/protocol/messages.h"

namespace loyalty::tools {

inline constexpr const char* kDefaultCore = "127.0.0.1:8440";
inline constexpr const char* kCoreEnvVar = "LOYALTY_CORE";

// What loyaltyctl needs from the core's HTTP API.
class CoreApi {
 public:
  virtual ~CoreApi() = default;
  virtual base::Result<protocol::CustomerHistory> history(const std::string& card) = 0;
  virtual base::Result<protocol::CatalogueImportResponse> importCatalogue(
      const std::string& csv) = 0;
};
using CoreApiPtr = std::unique_ptr<CoreApi>;
using CoreApiFactory = std::function<CoreApiPtr(const Endpoint& core, int timeoutMs)>;

// args: the arguments after the program name. envCore: the value of LOYALTY_CORE, or nullptr.
int runLoyaltyctl(const std::vector<std::string>& args, const char* envCore,
                  const CoreApiFactory& factory, std::ostream& out, std::ostream& err);

std::string ctlUsage();

// The human-readable form of `customer show`.
std::string formatCustomerHistory(const std::string& card, const protocol::CustomerHistory& h);

}  // namespace loyalty::tools
