#include "loyalty-import/import_tool.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <unordered_set>
#include <utility>

#include "common/basket_csv.h"
#include "common/synthetic_catalogue.h"
#include "common/tafeng.h"

namespace loyalty::tools::import {
namespace {

using base::ErrorCode;
using base::makeError;

constexpr int64_t kMaxCustomerNumber = 99'999'999'998;  // the core's limit: card of n + 1

base::Error usage(const std::string& message) {
  return makeError(ErrorCode::kInvalidValue, message);
}

bool parsePositive(const std::string& text, int64_t max, int64_t& out) {
  int64_t v = 0;
  if (!parseCsvInteger(text, v) || v < 1 || v > max) {
    return false;
  }
  out = v;
  return true;
}

bool isPrefixChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

std::string formatRate(double baskets, double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", seconds > 0 ? baskets / seconds : 0.0);
  return buf;
}

std::string formatSeconds(double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", seconds);
  return buf;
}

}  // namespace

std::string importUsage() {
  return "usage: loyalty-import --core HOST:PORT (--tafeng DIR | --baskets FILE.csv)\n"
         "                      [--chunk N] [--sku-prefix P] [--timeout-ms MS] [--token T]\n"
         "  --core HOST:PORT   the loyalty-core's HTTP address\n"
         "  --tafeng DIR       tafeng_history.json and tafeng_future.json (shared data)\n"
         "  --baskets FILE     CSV: customer_id,basket_key,item_id[,quantity,unit_price_cents]\n"
         "  --chunk N          baskets per request (default 5000; at most 50000 rows each)\n"
         "  --sku-prefix P     sku = P + item_id (default TF; 0..16 of [A-Za-z0-9_-])\n"
         "  --timeout-ms MS    per request (default 120000)\n"
         "  --token T          admin API token of an HQ admin (default $LOYALTY_TOKEN;\n"
         "                     'loyaltyctl login' prints one)\n"
         "Exit status: 0 done, 1 bad data or the core failed, 2 bad usage.\n";
}

base::Result<ImportOptions> parseImportOptions(const std::vector<std::string>& args) {
  ImportOptions o;
  bool haveCore = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      continue;
    }
    if (i + 1 >= args.size()) {
      return usage(arg.rfind("--", 0) == 0 ? arg + " needs a value" : "unexpected argument " + arg);
    }
    const std::string& value = args[++i];
    if (arg == "--core") {
      auto endpoint = parseEndpoint(value);
      if (!endpoint.ok()) {
        return usage("--core: " + endpoint.error().message);
      }
      o.core = *endpoint;
      haveCore = true;
    } else if (arg == "--tafeng") {
      o.tafengDir = value;
    } else if (arg == "--baskets") {
      o.basketsCsv = value;
    } else if (arg == "--chunk") {
      int64_t n = 0;
      if (!parsePositive(value, static_cast<int64_t>(kMaxHistoryRowsPerRequest), n)) {
        return usage("--chunk: an integer from 1 to 50000");
      }
      o.chunkBaskets = static_cast<size_t>(n);
    } else if (arg == "--sku-prefix") {
      if (value.size() > 16 || !std::all_of(value.begin(), value.end(), isPrefixChar)) {
        return usage("--sku-prefix: at most 16 characters of [A-Za-z0-9_-]");
      }
      o.skuPrefix = value;
    } else if (arg == "--timeout-ms") {
      int64_t n = 0;
      if (!parsePositive(value, 3'600'000, n)) {
        return usage("--timeout-ms: an integer from 1 to 3600000");
      }
      o.timeoutMs = static_cast<int>(n);
    } else if (arg == "--token") {
      o.token = value;
    } else {
      return usage("unknown option " + arg);
    }
  }
  if (o.help) {
    return o;
  }
  if (!haveCore) {
    return usage("--core HOST:PORT is required");
  }
  if (o.tafengDir.empty() == o.basketsCsv.empty()) {
    return usage("give exactly one of --tafeng DIR and --baskets FILE.csv");
  }
  return o;
}

base::Result<std::vector<ImportBasket>> loadImportBaskets(const ImportOptions& options) {
  std::vector<ImportBasket> baskets;
  if (!options.tafengDir.empty()) {
    auto data = loadTaFeng(options.tafengDir);
    if (!data.ok()) {
      return data.error();
    }
    baskets.reserve(data->basketCount());
    for (const Shopper& shopper : data->shoppers) {
      if (shopper.userId < 0 || shopper.userId > kMaxCustomerNumber) {
        return makeError(ErrorCode::kInvalidValue,
                         "TaFeng user " + std::to_string(shopper.userId) + " is out of range");
      }
      for (size_t b = 0; b < shopper.baskets.size(); ++b) {
        ImportBasket basket;
        basket.customer = std::to_string(shopper.userId);
        basket.key = std::to_string(b);
        basket.lines.reserve(shopper.baskets[b].size());
        for (int64_t item : shopper.baskets[b]) {
          basket.lines.push_back(ImportLine{std::to_string(item), 1, unitPriceOf(item).value()});
        }
        baskets.push_back(std::move(basket));
      }
    }
    return baskets;
  }
  auto csv = loadBasketCsv(options.basketsCsv);
  if (!csv.ok()) {
    return csv.error();
  }
  const std::string& name = options.basketsCsv;
  for (CsvCustomer& customer : csv->customers) {
    int64_t number = 0;
    if (!parseCsvInteger(customer.key, number) || number < 0 || number > kMaxCustomerNumber) {
      return makeError(ErrorCode::kInvalidCsv, name + ": customer_id " + customer.key +
                                                   ": must be an integer from 0 to " +
                                                   std::to_string(kMaxCustomerNumber));
    }
    for (CsvBasket& csvBasket : customer.baskets) {
      ImportBasket basket;
      basket.customer = std::to_string(number);
      basket.key = std::move(csvBasket.key);
      for (CsvBasketLine& line : csvBasket.lines) {
        ImportLine out;
        if (csv->columns == 5) {
          if (!parseCsvInteger(line.quantity, out.quantity) ||
              !parseCsvInteger(line.unitPriceCents, out.unitPriceCents)) {
            return makeError(ErrorCode::kInvalidCsv,
                             name + ": customer " + customer.key + ", basket " + basket.key +
                                 ": quantity and unit_price_cents must be integers");
          }
        } else {
          int64_t item = 0;
          out.quantity = 1;
          out.unitPriceCents =
              parseCsvInteger(line.item, item) && item >= 0 ? unitPriceOf(item).value() : 0;
        }
        out.item = std::move(line.item);
        basket.lines.push_back(std::move(out));
      }
      baskets.push_back(std::move(basket));
    }
  }
  return baskets;
}

std::vector<std::string> chunkCsv(const std::vector<ImportBasket>& baskets, size_t chunkBaskets,
                                  size_t maxRows, std::vector<size_t>* basketsPerChunk) {
  static const std::string kHeader = "customer_id,basket_key,item_id,quantity,unit_price_cents\n";
  std::vector<std::string> chunks;
  std::string current;
  size_t inChunk = 0;
  size_t rows = 0;
  auto close = [&] {
    if (inChunk > 0) {
      chunks.push_back(std::move(current));
      if (basketsPerChunk != nullptr) {
        basketsPerChunk->push_back(inChunk);
      }
    }
    current.clear();
    inChunk = 0;
    rows = 0;
  };
  for (const ImportBasket& basket : baskets) {
    if (inChunk > 0 && (inChunk >= chunkBaskets || rows + basket.lines.size() > maxRows)) {
      close();
    }
    if (inChunk == 0) {
      current = kHeader;
    }
    const std::string prefix = basket.customer + "," + csvField(basket.key) + ",";
    for (const ImportLine& line : basket.lines) {
      current += prefix;
      current += csvField(line.item);
      current += ',';
      current += std::to_string(line.quantity);
      current += ',';
      current += std::to_string(line.unitPriceCents);
      current += '\n';
    }
    rows += basket.lines.size();
    ++inChunk;
  }
  close();
  return chunks;
}

int runImport(const std::vector<std::string>& args, const SinkFactory& sinks, std::ostream& out,
              std::ostream& err) {
  return runImport(
      args,
      [&sinks](const Endpoint& core, int timeoutMs, const std::string&) {
        return sinks(core, timeoutMs);
      },
      out, err, nullptr);
}

int runImport(const std::vector<std::string>& args, const TokenSinkFactory& sinks,
              std::ostream& out, std::ostream& err, const char* envToken) {
  auto options = parseImportOptions(args);
  if (!options.ok()) {
    err << "loyalty-import: " << options.error().message << "\n" << importUsage();
    return 2;
  }
  if (options->help) {
    out << importUsage();
    return 0;
  }
  const auto started = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  auto baskets = loadImportBaskets(*options);
  if (!baskets.ok()) {
    err << "loyalty-import: " << baskets.error().message << "\n";
    return 1;
  }
  size_t lines = 0;
  std::unordered_set<std::string> customers;
  for (const ImportBasket& basket : *baskets) {
    lines += basket.lines.size();
    customers.insert(basket.customer);
  }
  err << "loyalty-import: read " << baskets->size() << " baskets, " << lines << " lines, "
      << customers.size() << " customers in " << formatSeconds(seconds()) << " s\n";

  std::vector<size_t> perChunk;
  const std::vector<std::string> chunks =
      chunkCsv(*baskets, options->chunkBaskets, kMaxHistoryRowsPerRequest, &perChunk);
  const std::string token =
      !options->token.empty() ? options->token : std::string(envToken != nullptr ? envToken : "");
  std::unique_ptr<HistorySink> sink = sinks(options->core, options->timeoutMs, token);
  const auto sendStarted = std::chrono::steady_clock::now();
  size_t done = 0;
  ChunkAnswer total;
  for (size_t c = 0; c < chunks.size(); ++c) {
    auto answer = sink->send(chunks[c], options->skuPrefix);
    if (!answer.ok()) {
      err << "loyalty-import: chunk " << (c + 1) << " of " << chunks.size() << " (baskets "
          << (done + 1) << ".." << (done + perChunk[c]) << "): " << answer.error().message << "\n";
      err << "loyalty-import: stopped after " << done << " of " << baskets->size()
          << " baskets; re-running the same command resumes (imported baskets are skipped)\n";
      return 1;
    }
    total.importedBaskets += answer->importedBaskets;
    total.skippedExisting += answer->skippedExisting;
    done += perChunk[c];
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - sendStarted).count();
    err << "loyalty-import: " << done << "/" << baskets->size() << " baskets ("
        << (done * 100 / std::max<size_t>(baskets->size(), 1)) << "%), "
        << formatRate(static_cast<double>(done), elapsed) << " baskets/s\n";
  }
  const double elapsed = seconds();
  out << "imported " << total.importedBaskets << " baskets (" << total.skippedExisting
      << " already imported, skipped) of " << baskets->size() << ": " << lines << " lines, "
      << customers.size() << " customers, " << formatSeconds(elapsed) << " s, "
      << formatRate(static_cast<double>(baskets->size()), elapsed) << " baskets/s\n";
  return 0;
}

}  // namespace loyalty::tools::import
