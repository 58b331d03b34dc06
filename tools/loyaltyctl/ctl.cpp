#include "loyaltyctl/ctl.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>

#include "common/files.h"
#include "common/text_format.h"
#include "loyalty/offers/reward.h"
#include "loyalty/protocol/card.h"
#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/errors.h"

namespace loyalty::tools {
namespace {

using base::ErrorCode;
using protocol::json::Value;
using Align = TextTable::Align;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kDefaultTimeoutMs = 5000;

// Options that take a value, and flags; all may appear anywhere on the line.
const std::set<std::string> kValueOptions = {
    "--core",   "--timeout-ms", "--token", "--user",  "--password-file", "--role",
    "--stores", "--days",       "--cards", "--limit", "--before"};
const std::set<std::string> kFlags = {"--json", "--help", "--disable", "--enable"};
// Options every command accepts.
const std::set<std::string> kGlobalOptions = {"--core", "--timeout-ms", "--token", "--json",
                                              "--help"};

struct CtlArgs {
  std::map<std::string, std::string> options;  // given options (flags map to "")
  int timeoutMs = kDefaultTimeoutMs;
  std::vector<std::string> words;  // the command and its operands

  bool has(const std::string& name) const { return options.count(name) != 0; }
  const std::string& get(const std::string& name) const { return options.at(name); }
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

std::optional<int64_t> parseNumber(const std::string& text, int64_t lo, int64_t hi) {
  if (text.empty() || text.size() > 15) {
    return std::nullopt;
  }
  int64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) {
    return std::nullopt;
  }
  return v;
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
    if (kFlags.count(arg) != 0) {
      if (hasValue) {
        return arg + " takes no value";
      }
      out.options[arg] = "";
      continue;
    }
    if (kValueOptions.count(arg) == 0) {
      return "unknown option " + arg;
    }
    if (!hasValue) {
      if (i + 1 >= args.size()) {
        return arg + " needs a value";
      }
      value = args[++i];
    }
    if (arg == "--timeout-ms") {
      const auto ms = parseNumber(value, 1, 600'000);
      if (!ms) {
        return "--timeout-ms " + value + ": want milliseconds 1..600000";
      }
      out.timeoutMs = static_cast<int>(*ms);
    }
    out.options[arg] = value;
  }
  return "";
}

std::string optionalId(const std::optional<int64_t>& id) { return id ? std::to_string(*id) : "-"; }

// ---- Reading the core's JSON answers (lenient: the core's own output) ----

const Value* field(const Value& v, const char* key) { return v.isObject() ? v.find(key) : nullptr; }

std::string str(const Value& v, const char* key) {
  const Value* f = field(v, key);
  return f != nullptr && f->isString() ? f->asString() : std::string();
}

int64_t num(const Value& v, const char* key) {
  const Value* f = field(v, key);
  return f != nullptr && f->isInt() ? f->asInt() : 0;
}

bool flag(const Value& v, const char* key) {
  const Value* f = field(v, key);
  return f != nullptr && f->isBool() && f->asBool();
}

const std::vector<Value>& list(const Value& v, const char* key) {
  static const std::vector<Value> kEmpty;
  const Value* f = field(v, key);
  return f != nullptr && f->isArray() ? f->items() : kEmpty;
}

std::string joinStrings(const std::vector<Value>& items, const std::string& empty) {
  std::string out;
  for (const Value& item : items) {
    if (item.isString()) {
      out += (out.empty() ? "" : ",") + item.asString();
    }
  }
  return out.empty() ? empty : out;
}

base::Result<Value> parseAnswer(const std::string& body) {
  protocol::json::ParseLimits limits;
  limits.maxBytes = size_t{64} * 1024 * 1024;
  limits.maxDepth = 64;
  auto v = protocol::json::parse(body, limits);
  if (!v.ok()) {
    return base::makeError(ErrorCode::kInternal,
                           "the core's answer is not JSON: " + v.error().message);
  }
  return v;
}

// "YYYY-MM-DD HH:MM:SS" (UTC).
std::string utcDateTime(int64_t ms) {
  const std::string hhmmss = utcTimeCompact(ms);
  return utcDate(ms) + " " + hhmmss.substr(0, 2) + ":" + hhmmss.substr(2, 2) + ":" +
         hhmmss.substr(4, 2);
}

// A key/value block without a header line.
std::string keyValues(const std::vector<std::pair<std::string, std::string>>& rows) {
  TextTable t({"", ""});
  for (const auto& [k, v] : rows) {
    t.addRow({k, v});
  }
  const std::string rendered = t.render();
  return rendered.substr(rendered.find('\n') + 1);
}

std::string describeReward(const Value* reward) {
  if (reward == nullptr) {
    return "-";
  }
  auto decoded = protocol::decodeRewardTemplate(*reward, "reward");
  if (!decoded.ok()) {
    return protocol::json::serialize(*reward);
  }
  offers::Reward shown = decoded.value();
  if (shown.target == offers::TargetKind::kSku && shown.value.empty()) {
    shown.value = "a product chosen per shopper";  // personalized campaigns
  }
  return offers::describe(shown);
}

std::string dates(const Value& c) {
  const std::string from = str(c, "from");
  const std::string to = str(c, "to");
  if (from.empty() && to.empty()) {
    return "always";
  }
  return (from.empty() ? "..." : from) + " to " + (to.empty() ? "..." : to);
}

// ---- Files ----

base::Result<std::string> readPassword(const std::string& path) {
  auto text = readWholeFile(path);
  if (!text.ok()) {
    return text.error();
  }
  std::string line = text.value().substr(0, text.value().find('\n'));
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  if (line.empty()) {
    return base::makeError(ErrorCode::kInvalidValue,
                           path + ": the first line (the password) is empty");
  }
  return line;
}

// A JSON document from a file, checked locally so that a typo is reported before any request.
base::Result<Value> readJsonFile(const std::string& path) {
  auto text = readWholeFile(path);
  if (!text.ok()) {
    return text.error();
  }
  protocol::json::ParseLimits limits;
  limits.maxBytes = size_t{4} * 1024 * 1024;
  limits.maxDepth = 32;
  auto v = protocol::json::parse(text.value(), limits);
  if (!v.ok()) {
    return base::makeError(v.error().code, path + ": " + v.error().message);
  }
  return v;
}

// Card numbers, one per line; blank lines and lines starting with '#' are skipped.
base::Result<std::vector<std::string>> readCards(const std::string& path) {
  auto text = readWholeFile(path);
  if (!text.ok()) {
    return text.error();
  }
  std::vector<std::string> cards;
  std::istringstream in(text.value());
  std::string line;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    const size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line[start] == '#') {
      continue;
    }
    const size_t end = line.find_last_not_of(" \t\r");
    std::string card = line.substr(start, end - start + 1);
    if (!protocol::isValidCard(card)) {
      return base::makeError(
          ErrorCode::kInvalidCard,
          path + " line " + std::to_string(number) + ": \"" + card + "\" is not a card number");
    }
    cards.push_back(std::move(card));
  }
  if (cards.empty()) {
    return base::makeError(ErrorCode::kInvalidValue, path + ": no card numbers");
  }
  return cards;
}

bool isUserName(const std::string& s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '@' || c == '-';
  });
}

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) {
      comma = text.size();
    }
    if (comma > start) {
      out.push_back(text.substr(start, comma - start));
    }
    start = comma + 1;
  }
  return out;
}

// ---- Pretty JSON ----

void pretty(const Value& v, int depth, std::string& out) {
  const std::string indent(static_cast<size_t>(2 * (depth + 1)), ' ');
  const std::string closing(static_cast<size_t>(2 * depth), ' ');
  if (v.isObject() && !v.members().empty()) {
    out += "{\n";
    for (size_t i = 0; i < v.members().size(); ++i) {
      out += indent;
      protocol::json::appendQuoted(out, v.members()[i].first);
      out += ": ";
      pretty(v.members()[i].second, depth + 1, out);
      out += i + 1 < v.members().size() ? ",\n" : "\n";
    }
    out += closing + "}";
    return;
  }
  const bool scalars =
      v.isArray() && std::none_of(v.items().begin(), v.items().end(), [](const Value& item) {
        return (item.isArray() && !item.items().empty()) ||
               (item.isObject() && !item.members().empty());
      });
  if (v.isArray() && !scalars) {
    out += "[\n";
    for (size_t i = 0; i < v.items().size(); ++i) {
      out += indent;
      pretty(v.items()[i], depth + 1, out);
      out += i + 1 < v.items().size() ? ",\n" : "\n";
    }
    out += closing + "]";
    return;
  }
  if (v.isArray()) {
    out += "[";
    for (size_t i = 0; i < v.items().size(); ++i) {
      out += (i == 0 ? "" : ", ") + protocol::json::serialize(v.items()[i]);
    }
    out += "]";
    return;
  }
  out += protocol::json::serialize(v);
}

// ---- Commands ----

struct Context {
  const CtlArgs& args;
  CoreApi* api = nullptr;  // nullptr for commands that make no request
  std::ostream& out;
  std::ostream& err;
  bool json() const { return args.has("--json"); }
  const std::string& word(size_t i) const { return args.words[i]; }
};

// Makes the call; prints the raw answer with --json (returns nullopt then, and on failure).
// Otherwise returns the parsed answer for the caller to print.
std::optional<Value> request(Context& c, const std::string& method, const std::string& path,
                             const std::string& body, int& exit) {
  auto answer = c.api->call(method, path, body);
  if (!answer.ok()) {
    exit = failed(c.err, answer.error());
    return std::nullopt;
  }
  exit = kExitOk;
  if (c.json()) {
    c.out << answer.value() << "\n";
    return std::nullopt;
  }
  auto parsed = parseAnswer(answer.value());
  if (!parsed.ok()) {
    exit = failed(c.err, parsed.error());
    return std::nullopt;
  }
  return std::move(parsed).value();
}

int customerShow(Context& c) {
  const std::string& card = c.word(2);
  auto history = c.api->history(card);
  if (!history) {
    return failed(c.err, history.error());
  }
  if (c.json()) {
    c.out << protocol::encode(history.value()) << "\n";
  } else {
    c.out << formatCustomerHistory(card, history.value());
  }
  return kExitOk;
}

int catalogueImport(Context& c) {
  auto csv = readWholeFile(c.word(2));
  if (!csv) {
    return failed(c.err, csv.error());
  }
  auto answer = c.api->importCatalogue(csv.value());
  if (!answer) {
    return failed(c.err, answer.error());
  }
  if (c.json()) {
    c.out << protocol::encode(answer.value()) << "\n";
  } else {
    c.out << "imported " << answer->imported << " products\n";
  }
  return kExitOk;
}

int login(Context& c) {
  auto password = readPassword(c.args.get("--password-file"));
  if (!password.ok()) {
    return failed(c.err, password.error());
  }
  protocol::json::Writer w;
  w.beginObject();
  w.key("user");
  w.value(c.args.get("--user"));
  w.key("password");
  w.value(password.value());
  w.endObject();
  int exit = kExitOk;
  auto v = request(c, "POST", "/v1/admin/login", w.str(), exit);
  if (v) {
    c.out << str(*v, "token") << "\n";
  }
  return exit;
}

void printUsers(Context& c, const std::vector<Value>& users) {
  TextTable t({"name", "role", "stores", "created", "disabled"});
  for (const Value& u : users) {
    t.addRow({str(u, "name"), str(u, "role"), joinStrings(list(u, "stores"), "-"),
              utcDate(num(u, "created_at_ms")), flag(u, "disabled") ? "yes" : "no"});
  }
  c.out << t.render();
}

int usersList(Context& c) {
  int exit = kExitOk;
  if (auto v = request(c, "GET", "/v1/admin/users", "", exit)) {
    printUsers(c, list(*v, "users"));
  }
  return exit;
}

int usersAdd(Context& c) {
  const std::string& name = c.word(2);
  auto password = readPassword(c.args.get("--password-file"));
  if (!password.ok()) {
    return failed(c.err, password.error());
  }
  protocol::json::Writer w;
  w.beginObject();
  w.key("name");
  w.value(name);
  w.key("role");
  w.value(c.args.get("--role"));
  w.key("stores");
  w.beginArray();
  for (const std::string& s : splitList(c.args.has("--stores") ? c.args.get("--stores") : "")) {
    w.value(s);
  }
  w.endArray();
  w.key("password");
  w.value(password.value());
  w.endObject();
  int exit = kExitOk;
  if (auto v = request(c, "POST", "/v1/admin/users", w.str(), exit)) {
    c.out << "user " << str(*v, "name") << " added (" << str(*v, "role") << ")\n";
  }
  return exit;
}

int usersSet(Context& c) {
  const std::string& name = c.word(2);
  protocol::json::Writer w;
  w.beginObject();
  if (c.args.has("--role")) {
    w.key("role");
    w.value(c.args.get("--role"));
  }
  if (c.args.has("--stores")) {
    w.key("stores");
    w.beginArray();
    for (const std::string& s : splitList(c.args.get("--stores"))) {
      w.value(s);
    }
    w.endArray();
  }
  if (c.args.has("--password-file")) {
    auto password = readPassword(c.args.get("--password-file"));
    if (!password.ok()) {
      return failed(c.err, password.error());
    }
    w.key("password");
    w.value(password.value());
  }
  if (c.args.has("--disable") || c.args.has("--enable")) {
    w.key("disabled");
    w.value(c.args.has("--disable"));
  }
  w.endObject();
  int exit = kExitOk;
  if (auto v = request(c, "PUT", "/v1/admin/users/" + name, w.str(), exit)) {
    printUsers(c, {*v});
  }
  return exit;
}

int programmeShow(Context& c) {
  int exit = kExitOk;
  if (auto v = request(c, "GET", "/v1/admin/programme", "", exit)) {
    c.out << prettyJson(*v);
  }
  return exit;
}

int programmeSet(Context& c) {
  auto doc = readJsonFile(c.word(2));
  if (!doc.ok()) {
    return failed(c.err, doc.error());
  }
  int exit = kExitOk;
  if (auto v =
          request(c, "PUT", "/v1/admin/programme", protocol::json::serialize(doc.value()), exit)) {
    c.out << "programme updated\n" << prettyJson(*v);
  }
  return exit;
}

void printPreview(Context& c, const Value& r) {
  c.out << keyValues({{"days", std::to_string(num(r, "days"))},
                      {"sales scanned", std::to_string(num(r, "sales_scanned"))},
                      {"sales touched", std::to_string(num(r, "sales_touched"))},
                      {"shoppers touched", std::to_string(num(r, "shoppers_touched"))},
                      {"coupons issued", std::to_string(num(r, "coupons_issued"))},
                      {"discount cost", formatMoney(base::Money(num(r, "discount_cost")))},
                      {"points cost", formatPoints(base::Points(num(r, "points_cost")))}});
}

// {"<what>": <file>, "days": N} to path.
int preview(Context& c, const char* what, const std::string& path) {
  auto doc = readJsonFile(c.word(2));
  if (!doc.ok()) {
    return failed(c.err, doc.error());
  }
  const auto days = parseNumber(c.args.get("--days"), 1, 3660);
  protocol::json::Writer w;
  w.beginObject();
  w.key(what);
  w.raw(protocol::json::serialize(doc.value()));
  w.key("days");
  w.value(*days);
  w.endObject();
  int exit = kExitOk;
  if (auto v = request(c, "POST", path, w.str(), exit)) {
    printPreview(c, *v);
  }
  return exit;
}

int programmePreview(Context& c) { return preview(c, "programme", "/v1/admin/programme/preview"); }
int campaignsPreview(Context& c) { return preview(c, "campaign", "/v1/admin/campaigns/preview"); }

int campaignsList(Context& c) {
  int exit = kExitOk;
  if (auto v = request(c, "GET", "/v1/admin/campaigns", "", exit)) {
    TextTable t({"id", "name", "status", "owner", "stores", "dates", "reward", "issued", "redeemed",
                 "cost"},
                {Align::kRight, Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft,
                 Align::kLeft, Align::kLeft, Align::kRight, Align::kRight, Align::kRight});
    for (const Value& cp : list(*v, "campaigns")) {
      const std::string owner = str(cp, "owner_store");
      t.addRow({std::to_string(num(cp, "id")), str(cp, "name"), str(cp, "status"),
                owner.empty() ? "HQ" : owner, joinStrings(list(cp, "stores"), "all"), dates(cp),
                describeReward(field(cp, "reward")), std::to_string(num(cp, "issued_count")),
                std::to_string(num(cp, "redeemed_count")),
                formatMoney(base::Money(num(cp, "redeemed_cost")))});
    }
    if (t.rowCount() == 0) {
      c.out << "no campaigns\n";
    } else {
      c.out << t.render();
    }
  }
  return exit;
}

void printCampaign(Context& c, const Value& cp) {
  const std::string owner = str(cp, "owner_store");
  std::vector<std::pair<std::string, std::string>> rows = {
      {"campaign", std::to_string(num(cp, "id"))},
      {"name", str(cp, "name")},
      {"status", str(cp, "status")},
      {"owner", owner.empty() ? "HQ (chain-wide)" : owner},
      {"dates", dates(cp)},
      {"reward", describeReward(field(cp, "reward"))},
      {"stores", joinStrings(list(cp, "stores"), "all")},
      {"tiers", joinStrings(list(cp, "tiers"), "all")},
      {"issuance", str(cp, "issuance")},
      {"validity", std::to_string(num(cp, "validity_days")) + " days"},
      {"budget",
       (num(cp, "budget_count") == 0 ? std::string("unlimited")
                                     : std::to_string(num(cp, "budget_count"))) +
           " coupons, " +
           (num(cp, "budget_cost") == 0 ? std::string("unlimited")
                                        : formatMoney(base::Money(num(cp, "budget_cost")))) +
           " cost"},
      {"caps", std::to_string(num(cp, "cap_per_visit")) + " per visit, " +
                   std::to_string(num(cp, "cap_per_period")) + " per " +
                   std::to_string(num(cp, "cap_period_days")) + " days (0 = no cap)"},
      {"control group", std::to_string(num(cp, "control_percent")) + "%"},
      {"issued", std::to_string(num(cp, "issued_count"))},
      {"redeemed", std::to_string(num(cp, "redeemed_count")) + " (" +
                       formatMoney(base::Money(num(cp, "redeemed_cost"))) + ")"},
      {"updated", utcDateTime(num(cp, "updated_at_ms"))},
  };
  if (const Value* trigger = field(cp, "trigger")) {
    rows.insert(rows.begin() + 9,
                {"trigger", str(*trigger, "target") + " " + str(*trigger, "value") + ", min " +
                                std::to_string(num(*trigger, "min_quantity")) + " units, " +
                                formatMoney(base::Money(num(*trigger, "min_spend")))});
  }
  c.out << keyValues(rows);
}

int campaignsShow(Context& c) {
  int exit = kExitOk;
  if (auto v = request(c, "GET", "/v1/admin/campaigns/" + c.word(2), "", exit)) {
    printCampaign(c, *v);
  }
  return exit;
}

int campaignsCreate(Context& c) {
  auto doc = readJsonFile(c.word(2));
  if (!doc.ok()) {
    return failed(c.err, doc.error());
  }
  int exit = kExitOk;
  if (auto v =
          request(c, "POST", "/v1/admin/campaigns", protocol::json::serialize(doc.value()), exit)) {
    c.out << "campaign " << num(*v, "id") << " created (" << str(*v, "status") << ")\n";
    printCampaign(c, *v);
  }
  return exit;
}

int campaignsUpdate(Context& c) {
  auto doc = readJsonFile(c.word(3));
  if (!doc.ok()) {
    return failed(c.err, doc.error());
  }
  int exit = kExitOk;
  if (auto v = request(c, "PUT", "/v1/admin/campaigns/" + c.word(2),
                       protocol::json::serialize(doc.value()), exit)) {
    c.out << "campaign " << num(*v, "id") << " updated\n";
    printCampaign(c, *v);
  }
  return exit;
}

int campaignsStatus(Context& c) {
  protocol::json::Writer w;
  w.beginObject();
  w.key("status");
  w.value(c.word(3));
  w.endObject();
  int exit = kExitOk;
  if (auto v = request(c, "POST", "/v1/admin/campaigns/" + c.word(2) + "/status", w.str(), exit)) {
    c.out << "campaign " << num(*v, "id") << " is " << str(*v, "status") << "\n";
  }
  return exit;
}

int campaignsIssue(Context& c) {
  auto cards = readCards(c.args.get("--cards"));
  if (!cards.ok()) {
    return failed(c.err, cards.error());
  }
  protocol::json::Writer w;
  w.beginObject();
  w.key("cards");
  w.beginArray();
  for (const std::string& card : cards.value()) {
    w.value(card);
  }
  w.endArray();
  w.endObject();
  int exit = kExitOk;
  if (auto v = request(c, "POST", "/v1/admin/campaigns/" + c.word(2) + "/issue", w.str(), exit)) {
    TextTable t({"card", "serial", "expires", "code"},
                {Align::kLeft, Align::kRight, Align::kLeft, Align::kLeft});
    for (const Value& coupon : list(*v, "coupons")) {
      t.addRow({str(coupon, "card"), std::to_string(num(coupon, "serial")), str(coupon, "expires"),
                str(coupon, "code")});
    }
    c.out << t.render();
  }
  return exit;
}

int couponsConflicts(Context& c) {
  std::string path = "/v1/admin/coupons/conflicts";
  if (c.args.has("--limit")) {
    path += "?limit=" + c.args.get("--limit");
  }
  int exit = kExitOk;
  if (auto v = request(c, "GET", path, "", exit)) {
    TextTable t({"date", "serial", "campaign", "card", "sale", "discount", "conflict", "offline"},
                {Align::kLeft, Align::kRight, Align::kRight, Align::kLeft, Align::kRight,
                 Align::kRight, Align::kLeft, Align::kLeft});
    for (const Value& r : list(*v, "conflicts")) {
      const std::string card = str(r, "card");
      t.addRow({utcDateTime(num(r, "created_at_ms")), std::to_string(num(r, "serial")),
                std::to_string(num(r, "campaign")), card.empty() ? "-" : card,
                std::to_string(num(r, "sale")), formatMoney(base::Money(num(r, "discount"))),
                str(r, "conflict"), flag(r, "offline") ? "yes" : "no"});
    }
    if (t.rowCount() == 0) {
      c.out << "no coupon conflicts\n";
    } else {
      c.out << t.render();
    }
  }
  return exit;
}

int pointsExpire(Context& c) {
  int exit = kExitOk;
  if (auto v = request(c, "POST", "/v1/admin/points/expire", "", exit)) {
    c.out << keyValues(
        {{"customers scanned", std::to_string(num(*v, "customers_scanned"))},
         {"customers expired", std::to_string(num(*v, "customers_expired"))},
         {"points expired", formatPoints(base::Points(num(*v, "points_expired")))},
         {"cutoff", num(*v, "cutoff_ms") == 0 ? std::string("- (points never expire)")
                                              : utcDateTime(num(*v, "cutoff_ms"))}});
  }
  return exit;
}

int audit(Context& c) {
  std::string query;
  for (const char* name : {"--limit", "--before"}) {
    if (c.args.has(name)) {
      query += (query.empty() ? "?" : "&") + std::string(name + 2) + "=" + c.args.get(name);
    }
  }
  int exit = kExitOk;
  if (auto v = request(c, "GET", "/v1/admin/audit" + query, "", exit)) {
    TextTable t(
        {"id", "time", "user", "action", "target", "outcome"},
        {Align::kRight, Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft});
    for (const Value& e : list(*v, "entries")) {
      t.addRow({std::to_string(num(e, "id")), utcDateTime(num(e, "at_ms")), str(e, "user"),
                str(e, "action"), str(e, "target"), str(e, "outcome")});
    }
    c.out << t.render();
    if (const Value* next = field(*v, "next_before"); next != nullptr && next->isInt()) {
      c.out << "older entries: loyaltyctl audit --before " << next->asInt() << "\n";
    }
  }
  return exit;
}

struct Command {
  std::vector<std::string> words;     // the command words
  std::vector<std::string> operands;  // names of the operands, for the usage line
  std::set<std::string> options;      // options it accepts beyond the global ones
  std::set<std::string> required;     // options it needs
  bool needsToken = true;
  std::function<int(Context&)> run;

  std::string usageLine() const {
    std::string line;
    for (const auto& w : words) {
      line += (line.empty() ? "" : " ") + w;
    }
    for (const auto& o : operands) {
      line += " " + o;
    }
    for (const auto& r : required) {
      line += " " + r + " " +
              (r == "--days"   ? "N"
               : r == "--user" ? "U"
               : r == "--role" ? "R"
                               : "FILE");
    }
    return line;
  }
};

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {{"customer", "show"}, {"CARD"}, {}, {}, false, customerShow},
      {{"catalogue", "import"}, {"FILE"}, {}, {}, true, catalogueImport},
      {{"login"}, {}, {"--user", "--password-file"}, {"--user", "--password-file"}, false, login},
      {{"users", "list"}, {}, {}, {}, true, usersList},
      {{"users", "add"},
       {"NAME"},
       {"--role", "--stores", "--password-file"},
       {"--role", "--password-file"},
       true,
       usersAdd},
      {{"users", "set"},
       {"NAME"},
       {"--role", "--stores", "--password-file", "--disable", "--enable"},
       {},
       true,
       usersSet},
      {{"programme", "show"}, {}, {}, {}, true, programmeShow},
      {{"programme", "set"}, {"FILE"}, {}, {}, true, programmeSet},
      {{"programme", "preview"}, {"FILE"}, {"--days"}, {"--days"}, true, programmePreview},
      {{"campaigns", "list"}, {}, {}, {}, true, campaignsList},
      {{"campaigns", "show"}, {"ID"}, {}, {}, true, campaignsShow},
      {{"campaigns", "create"}, {"FILE"}, {}, {}, true, campaignsCreate},
      {{"campaigns", "update"}, {"ID", "FILE"}, {}, {}, true, campaignsUpdate},
      {{"campaigns", "status"}, {"ID", "STATUS"}, {}, {}, true, campaignsStatus},
      {{"campaigns", "issue"}, {"ID"}, {"--cards"}, {"--cards"}, true, campaignsIssue},
      {{"campaigns", "preview"}, {"FILE"}, {"--days"}, {"--days"}, true, campaignsPreview},
      {{"coupons", "conflicts"}, {}, {"--limit"}, {}, true, couponsConflicts},
      {{"points", "expire"}, {}, {}, {}, true, pointsExpire},
      {{"audit"}, {}, {"--limit", "--before"}, {}, true, audit},
  };
  return kCommands;
}

const Command* findCommand(const std::vector<std::string>& words) {
  for (const Command& c : commands()) {
    if (words.size() >= c.words.size() &&
        std::equal(c.words.begin(), c.words.end(), words.begin())) {
      return &c;
    }
  }
  return nullptr;
}

// Checks operands and options that need no request; returns the usage problem or "".
std::string checkCommand(const Command& cmd, const CtlArgs& a) {
  const size_t want = cmd.words.size() + cmd.operands.size();
  if (a.words.size() != want) {
    return "usage: " + cmd.usageLine();
  }
  for (const auto& [name, value] : a.options) {
    if (kGlobalOptions.count(name) == 0 && cmd.options.count(name) == 0) {
      return name + " does not apply to '" + cmd.usageLine() + "'";
    }
  }
  for (const std::string& name : cmd.required) {
    if (!a.has(name)) {
      return "usage: " + cmd.usageLine();
    }
  }
  const std::string& head = cmd.words[0];
  for (size_t i = 0; i < cmd.operands.size(); ++i) {
    const std::string& operand = a.words[cmd.words.size() + i];
    if (cmd.operands[i] == "ID" && !parseNumber(operand, 1, 4'294'967'295)) {
      return "campaign id " + operand + ": want an integer 1..4294967295";
    }
    if (cmd.operands[i] == "NAME" && !isUserName(operand)) {
      return "user name " + operand + ": want 1 to 64 of A-Z a-z 0-9 . _ @ -";
    }
  }
  if (a.has("--days") && !parseNumber(a.get("--days"), 1, 3660)) {
    return "--days " + a.get("--days") + ": want 1..3660";
  }
  if (a.has("--limit") && !parseNumber(a.get("--limit"), 1, 1000)) {
    return "--limit " + a.get("--limit") + ": want 1..1000";
  }
  if (a.has("--before") && !parseNumber(a.get("--before"), 1, 999'999'999'999'999)) {
    return "--before " + a.get("--before") + ": want an audit entry id";
  }
  if (a.has("--disable") && a.has("--enable")) {
    return "give --disable or --enable, not both";
  }
  if (head == "users" && cmd.words[1] == "set") {
    bool any = false;
    for (const std::string& o : cmd.options) {
      any = any || a.has(o);
    }
    if (!any) {
      return "usage: users set NAME [--role R] [--stores S1,S2] [--password-file F] "
             "[--disable | --enable]";
    }
  }
  return "";
}

}  // namespace

std::string ctlUsage() {
  return R"(usage: loyaltyctl [--core H:P] [--token T] [--json] [--timeout-ms N] COMMAND ...

commands:
  login --user U --password-file F   log in to the admin API; prints a token for LOYALTY_TOKEN
  customer show CARD                 balance, tier, enrolled date, recent sales and the ledger
                                     (--json: the customer history as the core sends it)
  catalogue import FILE              import a catalogue CSV (header sku,name,category_path,brand)
  users list                         the admin users (HQ admin, analyst)
  users add NAME --role R [--stores S1,S2] --password-file F
                                     R: hq_admin, store_manager (needs --stores) or analyst
  users set NAME [--role R] [--stores S1,S2] [--password-file F] [--disable | --enable]
  programme show                     the points programme in force (JSON)
  programme set FILE                 replace it with the JSON in FILE
  programme preview FILE --days N    what FILE would have changed over the last N days of sales
  campaigns list                     every coupon campaign
  campaigns show ID
  campaigns create FILE              a campaign from the JSON in FILE (docs/admin-api.md)
  campaigns update ID FILE
  campaigns status ID STATUS         STATUS: draft, active, paused, ended
  campaigns issue ID --cards FILE    one coupon per card (FILE: one card number per line)
  campaigns preview FILE --days N    what the campaign in FILE would have cost
  coupons conflicts [--limit N]      coupons used twice or against the rules (offline tills)
  points expire                      run points expiry now
  audit [--limit N] [--before ID]    the audit log, newest first
  help                               this text

options:
  --core H:P        the loyalty-core's address; default $LOYALTY_CORE, else 127.0.0.1:8440
  --token T         the admin API token; default $LOYALTY_TOKEN (from 'loyaltyctl login')
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

std::string prettyJson(const Value& value) {
  std::string out;
  pretty(value, 0, out);
  return out + "\n";
}

int runLoyaltyctl(const std::vector<std::string>& args, const CtlEnvironment& env,
                  const CoreApiFactory& factory, std::ostream& out, std::ostream& err) {
  CtlArgs a;
  if (const std::string problem = parseArgs(args, a); !problem.empty()) {
    return usage(err, problem);
  }
  if (a.has("--help") || (a.words.size() == 1 && a.words[0] == "help")) {
    out << ctlUsage();
    return kExitOk;
  }
  if (a.words.empty()) {
    return usage(err, "no command");
  }

  // Validate the command before the address, so that "loyaltyctl frobnicate" says so.
  const Command* cmd = findCommand(a.words);
  if (cmd == nullptr) {
    std::string all;
    for (const auto& w : a.words) {
      all += (all.empty() ? "" : " ") + w;
    }
    return usage(err, "unknown command \"" + all + "\"");
  }
  if (const std::string problem = checkCommand(*cmd, a); !problem.empty()) {
    return usage(err, problem);
  }

  std::string coreText = kDefaultCore;
  std::string coreSource = "--core";
  if (a.has("--core")) {
    coreText = a.get("--core");
  } else if (env.core != nullptr && *env.core != '\0') {
    coreText = env.core;
    coreSource = kCoreEnvVar;
  }
  auto core = parseEndpoint(coreText);
  if (!core) {
    return usage(err, coreSource + ": " + core.error().message);
  }
  std::string token;
  if (a.has("--token")) {
    token = a.get("--token");
  } else if (env.token != nullptr) {
    token = env.token;
  }

  if (cmd->words[0] == "customer" && !protocol::isValidCard(a.words[2])) {
    return failed(err, base::makeError(ErrorCode::kInvalidCard,
                                       "\"" + a.words[2] +
                                           "\" is not a card number (13 to 19 digits with a "
                                           "valid check digit)"));
  }
  if (cmd->needsToken && token.empty()) {
    return failed(err, base::makeError(ErrorCode::kUnauthorized,
                                       "no token: give --token or set LOYALTY_TOKEN "
                                       "(loyaltyctl login prints one)"));
  }
  CoreApiPtr api = factory(core.value(), a.timeoutMs, token);
  Context context{a, api.get(), out, err};
  return cmd->run(context);
}

}  // namespace loyalty::tools
