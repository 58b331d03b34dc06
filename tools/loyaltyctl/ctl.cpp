#include "loyaltyctl/ctl.h"

#include <fstream>
#include <ostream>
#include <sstream>

#include "common/files.h"
#include "common/text_format.h"
#include "loyalty/protocol/card.h"
#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/errors.h"

namespace loyalty::tools {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kDefaultTimeoutMs = 5000;

struct CtlArgs {
  std::string core;
  bool coreGiven = false;
  bool json = false;
  bool help = false;
  int timeoutMs = kDefaultTimeoutMs;
  std::vector<std::string> words;  // the command and its operands
};

int usage(std::ostream& err, const std::string& message) {
  err << "loyaltyctl: " << message << "\n"
      << "try 'loyaltyctl help'\n";
  return kExitUsage;
}

int failed(std::ostream& err, const base::Error& error) {
  err << "loyaltyctl: " << protocol::codeName(error.code) << ": " << error.message << "\n";
  return kExitFailed;
}

// Returns an empty string on success, else the usage problem.
std::string parseArgs(const std::vector<std::string>& args, CtlArgs& out) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      out.words.push_back(arg);
      continue;
    }
    std::string value;
    bool hasValue = false;
    if (const size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      hasValue = true;
    }
    if (arg == "--json" || arg == "--help") {
      if (hasValue) {
        return arg + " takes no value";
      }
      (arg == "--json" ? out.json : out.help) = true;
      continue;
    }
    if (arg != "--core" && arg != "--timeout-ms") {
      return "unknown option " + arg;
    }
    if (!hasValue) {
      if (i + 1 >= args.size()) {
        return arg + " needs a value";
      }
      value = args[++i];
    }
    if (arg == "--core") {
      out.core = value;
      out.coreGiven = true;
    } else {
      int64_t ms = 0;
      bool ok = !value.empty() && value.size() <= 6;
      for (char c : value) {
        ok = ok && c >= '0' && c <= '9';
        ms = ok ? ms * 10 + (c - '0') : ms;
      }
      if (!ok || ms < 1 || ms > 600'000) {
        return "--timeout-ms " + value + ": want milliseconds 1..600000";
      }
      out.timeoutMs = static_cast<int>(ms);
    }
  }
  return "";
}

std::string optionalId(const std::optional<int64_t>& id) { return id ? std::to_string(*id) : "-"; }

int customerShow(CoreApi& api, const std::string& card, bool json, std::ostream& out,
                 std::ostream& err) {
  auto history = api.history(card);
  if (!history) {
    return failed(err, history.error());
  }
  if (json) {
    out << protocol::encode(history.value()) << "\n";
  } else {
    out << formatCustomerHistory(card, history.value());
  }
  return kExitOk;
}

int catalogueImport(CoreApi& api, const std::string& file, bool json, std::ostream& out,
                    std::ostream& err) {
  auto csv = readWholeFile(file);
  if (!csv) {
    return failed(err, csv.error());
  }
  auto answer = api.importCatalogue(csv.value());
  if (!answer) {
    return failed(err, answer.error());
  }
  if (json) {
    out << protocol::encode(answer.value()) << "\n";
  } else {
    out << "imported " << answer->imported << " products\n";
  }
  return kExitOk;
}

}  // namespace

std::string ctlUsage() {
  return R"(usage: loyaltyctl [--core H:P] [--json] [--timeout-ms N] COMMAND ...

commands:
  customer show CARD      balance, tier, enrolled date, recent sales and the points ledger
                          (--json: the customer history as the core sends it)
  catalogue import FILE   import a catalogue CSV (header sku,name,category_path,brand)
  help                    this text

options:
  --core H:P        the loyalty-core's address; default $LOYALTY_CORE, else 127.0.0.1:8440
  --json            print the core's answer as JSON
  --timeout-ms N    per HTTP call, default 5000

exit status: 0 done, 1 the command failed ("loyaltyctl: <code>: <detail>"), 2 bad usage.
)";
}

std::string formatCustomerHistory(const std::string& card, const protocol::CustomerHistory& h) {
  std::string out;
  TextTable head({"", ""});
  head.addRow({"card", card});
  head.addRow({"customer", std::to_string(h.customerId)});
  head.addRow({"tier", h.tier});
  head.addRow({"balance", formatPoints(h.pointsBalance) + " points"});
  head.addRow({"enrolled", utcDate(h.enrolledAtMs)});
  const std::string rendered = head.render();
  out += rendered.substr(rendered.find('\n') + 1);  // no header line

  using Align = TextTable::Align;
  out += "\nrecent sales (newest first)\n";
  if (h.sales.empty()) {
    out += "none\n";
  } else {
    TextTable sales({"date", "store", "terminal", "txn", "sale", "total", "points"},
                    {Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft, Align::kRight,
                     Align::kRight, Align::kRight});
    for (const protocol::HistorySale& s : h.sales) {
      sales.addRow({s.key.businessDate, s.key.store, s.key.terminal, s.key.txn,
                    std::to_string(s.saleId), formatMoney(s.total), formatPoints(s.pointsEarned)});
    }
    out += sales.render();
  }

  out += "\nledger (oldest first)\n";
  if (h.ledger.empty()) {
    out += "none\n";
  } else {
    TextTable ledger({"date", "kind", "points", "sale", "refund"},
                     {Align::kLeft, Align::kLeft, Align::kRight, Align::kRight, Align::kRight});
    for (const protocol::HistoryLedgerEntry& e : h.ledger) {
      ledger.addRow({utcDate(e.createdAtMs), e.kind, formatPoints(e.points), optionalId(e.saleId),
                     optionalId(e.refundId)});
    }
    out += ledger.render();
  }
  return out;
}

int runLoyaltyctl(const std::vector<std::string>& args, const char* envCore,
                  const CoreApiFactory& factory, std::ostream& out, std::ostream& err) {
  CtlArgs a;
  if (const std::string problem = parseArgs(args, a); !problem.empty()) {
    return usage(err, problem);
  }
  if (a.help || (a.words.size() == 1 && a.words[0] == "help")) {
    out << ctlUsage();
    return kExitOk;
  }
  if (a.words.empty()) {
    return usage(err, "no command");
  }

  // Validate the command before the address, so that "loyaltyctl frobnicate" says so.
  const std::string& cmd = a.words[0];
  const bool customerShowCmd = cmd == "customer" && a.words.size() >= 2 && a.words[1] == "show";
  const bool catalogueImportCmd =
      cmd == "catalogue" && a.words.size() >= 2 && a.words[1] == "import";
  if (!customerShowCmd && !catalogueImportCmd) {
    std::string all;
    for (const auto& w : a.words) {
      all += (all.empty() ? "" : " ") + w;
    }
    return usage(err, "unknown command \"" + all + "\"");
  }
  if (a.words.size() != 3) {
    return usage(err,
                 customerShowCmd ? "usage: customer show CARD" : "usage: catalogue import FILE");
  }

  std::string coreText = kDefaultCore;
  std::string coreSource = "--core";
  if (a.coreGiven) {
    coreText = a.core;
  } else if (envCore != nullptr && *envCore != '\0') {
    coreText = envCore;
    coreSource = kCoreEnvVar;
  }
  auto core = parseEndpoint(coreText);
  if (!core) {
    return usage(err, coreSource + ": " + core.error().message);
  }

  if (customerShowCmd) {
    const std::string& card = a.words[2];
    if (!protocol::isValidCard(card)) {
      return failed(err, base::makeError(base::ErrorCode::kInvalidCard,
                                         "\"" + card +
                                             "\" is not a card number (13 to 19 digits with a "
                                             "valid check digit)"));
    }
    CoreApiPtr api = factory(core.value(), a.timeoutMs);
    return customerShow(*api, card, a.json, out, err);
  }
  CoreApiPtr api = factory(core.value(), a.timeoutMs);
  return catalogueImport(*api, a.words[2], a.json, out, err);
}

}  // namespace loyalty::tools
