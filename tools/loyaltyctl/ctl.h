// loyaltyctl's commands, separate from main() so that the tests can drive them with a fake core.
//
//   loyaltyctl [--core H:P] [--token T] [--json] [--timeout-ms N] COMMAND ...
//     login --user U --password-file F     a token for the admin API (prints it; --json: JSON)
//     customer show CARD                   balance, tier, recent sales and the points ledger
//     catalogue import FILE                PUT the CSV file to /v1/admin/catalogue
//     users list | add NAME --role R [--stores S1,S2] --password-file F
//           | set NAME [--role R] [--stores ...] [--password-file F] [--disable | --enable]
//     programme show | set FILE | preview FILE --days N
//     campaigns list | show ID | create FILE | update ID FILE | status ID STATUS
//           | issue ID --cards FILE | preview FILE --days N
//     coupons conflicts [--limit N]
//     points expire
//     audit [--limit N] [--before ID]
//     help                                 usage
// The core address is --core, else the LOYALTY_CORE environment variable, else 127.0.0.1:8440.
// The token is --token, else LOYALTY_TOKEN; every command but login and customer show needs
// one (refused with "unauthorized" before any request when there is none). Options may come
// before or after the command words. People get tables (programme show: indented JSON); --json
// prints the core's JSON answer as it came.
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
#include "loyalty/protocol/json.h"
#include "loyalty/protocol/messages.h"

namespace loyalty::tools {

inline constexpr const char* kDefaultCore = "127.0.0.1:8440";
inline constexpr const char* kCoreEnvVar = "LOYALTY_CORE";
inline constexpr const char* kTokenEnvVar = "LOYALTY_TOKEN";

// What loyaltyctl needs from the core's HTTP API.
class CoreApi {
 public:
  virtual ~CoreApi() = default;
  virtual base::Result<protocol::CustomerHistory> history(const std::string& card) = 0;
  virtual base::Result<protocol::CatalogueImportResponse> importCatalogue(
      const std::string& csv) = 0;
  // One admin API call: the body of a 2xx answer; otherwise the error its problem+json names
  // (or kUnavailable / kTimeout / kInternal for transport problems and odd answers).
  virtual base::Result<std::string> call(const std::string& method, const std::string& path,
                                         const std::string& body) = 0;
};
using CoreApiPtr = std::unique_ptr<CoreApi>;
// token: the bearer token to send ("" for none).
using CoreApiFactory =
    std::function<CoreApiPtr(const Endpoint& core, int timeoutMs, const std::string& token)>;

// The environment variables loyaltyctl reads (nullptr when unset).
struct CtlEnvironment {
  const char* core = nullptr;   // LOYALTY_CORE
  const char* token = nullptr;  // LOYALTY_TOKEN
};

// args: the arguments after the program name.
int runLoyaltyctl(const std::vector<std::string>& args, const CtlEnvironment& env,
                  const CoreApiFactory& factory, std::ostream& out, std::ostream& err);

std::string ctlUsage();

// The human-readable form of `customer show`.
std::string formatCustomerHistory(const std::string& card, const protocol::CustomerHistory& h);

// JSON indented by two spaces per level, one member or item per line (programme show).
std::string prettyJson(const protocol::json::Value& value);

}  // namespace loyalty::tools
