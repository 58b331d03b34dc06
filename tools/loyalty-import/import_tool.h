// loyalty-import: loads past baskets (the TaFeng files or a generic basket CSV) into the core's
// history through POST /v1/admin/history (docs/operations.md, "Importing history").
//
// The tool reads the whole input with the shared readers (common/tafeng.h, common/basket_csv.h),
// turns it into baskets in order (customer by customer, each customer's baskets oldest first),
// and sends them in chunks of at most --chunk baskets and kMaxHistoryRowsPerRequest rows, one
// request after the other, so that the core updates every habit profile in basket order. Each
// chunk is the 5-column CSV `customer_id,basket_key,item_id,quantity,unit_price_cents`; when the
// input has no quantity and price (TaFeng, 3-column CSV) the tool sends quantity 1 and the
// synthetic unit price of common/synthetic_catalogue.h (integer item ids; 0 otherwise).
// TaFeng baskets are keyed by their 0-based index in the shopper's list.
//
// The core's admin API needs a bearer token: --token T, else the LOYALTY_TOKEN environment
// variable (`loyaltyctl login` prints one; the user must be an HQ admin).
//
// Exit status: 0 done; 1 unreadable or invalid data, or the core refused or failed; 2 bad usage.
// Progress lines go to stderr, the summary to stdout.
//
// Thread safety: runImport is re-entrant; a HistorySink is used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "common/endpoint.h"
#include "loyalty/base/result.h"

namespace loyalty::tools::import {

inline constexpr size_t kMaxHistoryRowsPerRequest = 50'000;  // the core's limit per request
inline constexpr size_t kDefaultChunkBaskets = 5'000;
inline constexpr int kDefaultTimeoutMs = 120'000;

struct ImportOptions {
  Endpoint core;
  std::string tafengDir;   // --tafeng DIR
  std::string basketsCsv;  // --baskets FILE.csv
  size_t chunkBaskets = kDefaultChunkBaskets;
  std::string skuPrefix = "TF";
  int timeoutMs = kDefaultTimeoutMs;
  std::string token;  // --token: the admin API bearer token ("" = none given)
  bool help = false;
};

// Errors: kInvalidValue with a message for the user (usage error).
base::Result<ImportOptions> parseImportOptions(const std::vector<std::string>& args);
std::string importUsage();

struct ChunkAnswer {
  int64_t importedBaskets = 0;
  int64_t skippedExisting = 0;
};

// Where chunks go: the core's endpoint in main.cpp, a fake in tests.
class HistorySink {
 public:
  virtual ~HistorySink() = default;
  // Sends one CSV chunk; the core's answer or its error (message for the user).
  virtual base::Result<ChunkAnswer> send(const std::string& csv, const std::string& skuPrefix) = 0;
};

using SinkFactory =
    std::function<std::unique_ptr<HistorySink>(const Endpoint& core, int timeoutMs)>;
// token: the bearer token for POST /v1/admin/history ("" for none).
using TokenSinkFactory = std::function<std::unique_ptr<HistorySink>(
    const Endpoint& core, int timeoutMs, const std::string& token)>;

// The token is --token, else envToken (the LOYALTY_TOKEN environment variable, or nullptr).
int runImport(const std::vector<std::string>& args, const TokenSinkFactory& sinks,
              std::ostream& out, std::ostream& err, const char* envToken);
// The same without a token (sinks that need none, e.g. fakes).
int runImport(const std::vector<std::string>& args, const SinkFactory& sinks, std::ostream& out,
              std::ostream& err);

// The baskets of an input, in the order they are sent.
struct ImportLine {
  std::string item;
  int64_t quantity = 1;
  int64_t unitPriceCents = 0;
};
struct ImportBasket {
  std::string customer;  // decimal customer number
  std::string key;
  std::vector<ImportLine> lines;
};

// Errors: those of the readers; kInvalidCsv for a customer id that is not 0..10^11-2 or a
// quantity/price that is not an integer.
base::Result<std::vector<ImportBasket>> loadImportBaskets(const ImportOptions& options);
// The CSV chunks, each at most chunkBaskets baskets and maxRows rows (a basket with more
// rows than maxRows goes alone). Every chunk starts with the 5-column header.
std::vector<std::string> chunkCsv(const std::vector<ImportBasket>& baskets, size_t chunkBaskets,
                                  size_t maxRows, std::vector<size_t>* basketsPerChunk);

}  // namespace loyalty::tools::import
