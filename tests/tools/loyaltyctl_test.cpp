// Tests of loyaltyctl's commands (tools/loyaltyctl/ctl.h) with a fake core: output, exit status,
// error format, address selection, and the local refusal of bad card numbers.
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "loyalty/protocol/card.h"
#include "loyalty/protocol/codec.h"
#include "loyaltyctl/ctl.h"

namespace loyalty::tools {
namespace {

namespace fs = std::filesystem;
using base::ErrorCode;

// What the fake core was asked, and how it answers.
struct FakeCall {
  std::string method;
  std::string path;
  std::string body;
};

struct FakeCoreState {
  int connections = 0;
  std::string endpoint;
  int timeoutMs = 0;
  std::string token;  // of the last connection
  std::vector<std::string> historyCards;
  std::vector<std::string> imported;
  std::optional<base::Error> failWith;
  protocol::CustomerHistory history;
  std::vector<FakeCall> calls;
  std::map<std::string, std::string> answers;  // "METHOD path" -> body of a 200
};

class FakeCore final : public CoreApi {
 public:
  explicit FakeCore(FakeCoreState& state) : state_(state) {}
  base::Result<protocol::CustomerHistory> history(const std::string& card) override {
    state_.historyCards.push_back(card);
    if (state_.failWith) {
      return *state_.failWith;
    }
    return state_.history;
  }
  base::Result<protocol::CatalogueImportResponse> importCatalogue(const std::string& csv) override {
    state_.imported.push_back(csv);
    if (state_.failWith) {
      return *state_.failWith;
    }
    protocol::CatalogueImportResponse r;
    r.imported = 2;
    return r;
  }
  base::Result<std::string> call(const std::string& method, const std::string& path,
                                 const std::string& body) override {
    state_.calls.push_back(FakeCall{method, path, body});
    if (state_.failWith) {
      return *state_.failWith;
    }
    const auto it = state_.answers.find(method + " " + path);
    if (it == state_.answers.end()) {
      return base::makeError(ErrorCode::kNotFound, "no route " + method + " " + path);
    }
    return it->second;
  }

 private:
  FakeCoreState& state_;
};

struct Run {
  int exit = -1;
  std::string out;
  std::string err;
};

Run ctl(FakeCoreState& state, const std::vector<std::string>& args, const char* envCore = nullptr,
        const char* envToken = nullptr) {
  std::ostringstream out;
  std::ostringstream err;
  const CoreApiFactory factory = [&state](const Endpoint& e, int timeoutMs,
                                          const std::string& token) -> CoreApiPtr {
    ++state.connections;
    state.endpoint = e.str();
    state.timeoutMs = timeoutMs;
    state.token = token;
    return std::make_unique<FakeCore>(state);
  };
  CtlEnvironment env;
  env.core = envCore;
  env.token = envToken;
  Run r;
  r.exit = runLoyaltyctl(args, env, factory, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

protocol::CustomerHistory sampleHistory() {
  protocol::CustomerHistory h;
  h.customerId = 17;
  h.tier = "base";
  h.pointsBalance = base::Points(35);
  h.enrolledAtMs = 1'709'251'198'000;  // 2024-02-29
  protocol::HistorySale sale;
  sale.saleId = 901;
  sale.key = {"S001", "T03", "2024-03-01", "101500-03-7"};
  sale.total = base::Money(4205);
  sale.pointsEarned = base::Points(42);
  sale.createdAtMs = 1'709'290'000'000;
  h.sales.push_back(sale);
  protocol::HistoryLedgerEntry earn;
  earn.entryId = 1;
  earn.kind = "earn";
  earn.points = base::Points(42);
  earn.saleId = 901;
  earn.createdAtMs = 1'709'290'000'000;
  protocol::HistoryLedgerEntry refund;
  refund.entryId = 2;
  refund.kind = "refund";
  refund.points = base::Points(-7);
  refund.saleId = 901;
  refund.refundId = 33;
  refund.createdAtMs = 1'709'290'000'000;
  h.ledger = {earn, refund};
  return h;
}

const std::string kCard = protocol::cardForCustomerNumber(17);

TEST_CASE("loyaltyctl: customer show prints the account, sales and ledger", "[tools]") {
  FakeCoreState state;
  state.history = sampleHistory();
  const Run r = ctl(state, {"--core", "10.0.0.5:9000", "customer", "show", kCard});
  CHECK(r.exit == 0);
  CHECK(r.err.empty());
  CHECK(state.endpoint == "10.0.0.5:9000");
  CHECK(state.historyCards == std::vector<std::string>{kCard});
  for (const char* want :
       {"customer  17", "tier      base", "balance   35 points", "enrolled  2024-02-29",
        "recent sales (newest first)",
        "2024-03-01  S001   T03       101500-03-7   901  42.05      42", "ledger (oldest first)",
        "earn        42   901       -", "refund      -7   901      33"}) {
    INFO(want << "\n" << r.out);
    CHECK(r.out.find(want) != std::string::npos);
  }
}

TEST_CASE("loyaltyctl: customer show with no sales says so", "[tools]") {
  FakeCoreState state;
  state.history.customerId = 3;
  state.history.tier = "base";
  const Run r = ctl(state, {"customer", "show", kCard, "--core=h:1"});
  CHECK(r.exit == 0);
  CHECK(r.out.find("recent sales (newest first)\nnone\n") != std::string::npos);
  CHECK(r.out.find("ledger (oldest first)\nnone\n") != std::string::npos);
}

TEST_CASE("loyaltyctl: --json prints the history as the protocol encodes it", "[tools]") {
  FakeCoreState state;
  state.history = sampleHistory();
  const Run r = ctl(state, {"--json", "--core", "h:1", "customer", "show", kCard});
  CHECK(r.exit == 0);
  CHECK(r.out == protocol::encode(state.history) + "\n");
  auto back = protocol::decodeCustomerHistory(r.out);
  REQUIRE(back.ok());
  CHECK(back->customerId == 17);
}

TEST_CASE("loyaltyctl: a bad card is refused before any request", "[tools]") {
  FakeCoreState state;
  std::string bad = kCard;
  bad.back() = bad.back() == '0' ? '1' : '0';  // wrong check digit
  for (const std::string& card : {bad, std::string("12345"), std::string("abcdefghijklm")}) {
    INFO(card);
    const Run r = ctl(state, {"--core", "h:1", "customer", "show", card});
    CHECK(r.exit == 1);
    CHECK(r.err.rfind("loyaltyctl: invalid_card: ", 0) == 0);
    CHECK(r.out.empty());
  }
  CHECK(state.connections == 0);
}

TEST_CASE("loyaltyctl: the core's errors print their code and detail, exit 1", "[tools]") {
  FakeCoreState state;
  state.failWith = base::makeError(ErrorCode::kUnknownCustomer, "no customer with this card");
  const Run r = ctl(state, {"--core", "h:1", "customer", "show", kCard});
  CHECK(r.exit == 1);
  CHECK(r.err == "loyaltyctl: unknown_customer: no customer with this card\n");
  CHECK(r.out.empty());

  state.failWith = base::makeError(ErrorCode::kUnavailable, "h:1: Connection refused");
  const Run down = ctl(state, {"--core", "h:1", "customer", "show", kCard});
  CHECK(down.exit == 1);
  CHECK(down.err == "loyaltyctl: unavailable: h:1: Connection refused\n");
}

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() / ("loyaltyctl-test-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(counter.fetch_add(1)) + ".csv");
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~TempFile() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  TempFile(TempFile&&) = delete;
  TempFile& operator=(TempFile&&) = delete;
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

TEST_CASE("loyaltyctl: catalogue import sends the file as it is", "[tools]") {
  const std::string csv = "sku,name,category_path,brand\nTF1,\"Item, 1\",bakery,Brand 3\n";
  TempFile file(csv);
  FakeCoreState state;
  const Run r = ctl(state, {"--core", "h:1", "--token", "t0k", "catalogue", "import", file.path()});
  CHECK(r.exit == 0);
  CHECK(r.out == "imported 2 products\n");
  CHECK(state.imported == std::vector<std::string>{csv});

  const Run json =
      ctl(state, {"--core", "h:1", "--json", "catalogue", "import", file.path()}, nullptr, "t0k");
  CHECK(json.exit == 0);
  CHECK(json.out == "{\"imported\":2}\n");

  state.failWith = base::makeError(ErrorCode::kInvalidCsv, "line 2: 3 fields, want 4");
  const Run refused =
      ctl(state, {"--core", "h:1", "--token", "t0k", "catalogue", "import", file.path()});
  CHECK(refused.exit == 1);
  CHECK(refused.err == "loyaltyctl: invalid_csv: line 2: 3 fields, want 4\n");
}

TEST_CASE("loyaltyctl: a missing catalogue file fails without a request", "[tools]") {
  FakeCoreState state;
  const Run r =
      ctl(state, {"--core", "h:1", "catalogue", "import", "/nonexistent/cat.csv"}, nullptr, "t0k");
  CHECK(r.exit == 1);
  CHECK(r.err.rfind("loyaltyctl: not_found: cannot open /nonexistent/cat.csv", 0) == 0);
  CHECK(state.imported.empty());
}

TEST_CASE("loyaltyctl: the core address comes from --core, LOYALTY_CORE, or the default",
          "[tools]") {
  FakeCoreState state;
  state.history.tier = "base";
  CHECK(ctl(state, {"customer", "show", kCard}).exit == 0);
  CHECK(state.endpoint == "127.0.0.1:8440");
  CHECK(state.timeoutMs == 5000);

  CHECK(ctl(state, {"customer", "show", kCard}, "core.lan:7000").exit == 0);
  CHECK(state.endpoint == "core.lan:7000");

  CHECK(ctl(state, {"--core", "other:1", "--timeout-ms", "250", "customer", "show", kCard},
            "core.lan:7000")
            .exit == 0);
  CHECK(state.endpoint == "other:1");
  CHECK(state.timeoutMs == 250);

  CHECK(ctl(state, {"customer", "show", kCard}, "").exit == 0);  // empty: the default
  CHECK(state.endpoint == "127.0.0.1:8440");

  const Run badEnv = ctl(state, {"customer", "show", kCard}, "no-port");
  CHECK(badEnv.exit == 2);
  CHECK(badEnv.err.find("LOYALTY_CORE") != std::string::npos);
  const Run badCore = ctl(state, {"--core", "h:99999", "customer", "show", kCard});
  CHECK(badCore.exit == 2);
  CHECK(badCore.err.find("--core") != std::string::npos);
}

TEST_CASE("loyaltyctl: help and bad usage", "[tools]") {
  FakeCoreState state;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"help"}, {"--help"}, {"customer", "show", "--help"}}) {
    const Run r = ctl(state, args);
    CHECK(r.exit == 0);
    CHECK(r.out.find("usage: loyaltyctl") != std::string::npos);
  }
  for (const std::vector<std::string>& args : {std::vector<std::string>{},
                                               {"frobnicate"},
                                               {"customer"},
                                               {"customer", "show"},
                                               {"customer", "show", kCard, "extra"},
                                               {"catalogue", "import"},
                                               {"catalogue", "export", "x"},
                                               {"--nope", "customer", "show", kCard},
                                               {"--core"},
                                               {"--json=1", "help"},
                                               {"--timeout-ms", "0", "help"}}) {
    std::string joined;
    for (const auto& a : args) {
      joined += a + " ";
    }
    INFO(joined);
    const Run r = ctl(state, args);
    CHECK(r.exit == 2);
    CHECK(r.err.rfind("loyaltyctl: ", 0) == 0);
    CHECK(r.err.find("try 'loyaltyctl help'") != std::string::npos);
    CHECK(r.out.empty());
  }
  CHECK(state.connections == 0);
}

// ---- admin commands ---------------------------------------------------------------------------

const char* kToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST_CASE("loyaltyctl: admin commands need a token, from --token or LOYALTY_TOKEN", "[tools]") {
  FakeCoreState state;
  state.answers["GET /v1/admin/campaigns"] = R"({"campaigns":[]})";
  const Run none = ctl(state, {"--core", "h:1", "campaigns", "list"});
  CHECK(none.exit == 1);
  CHECK(none.err.rfind("loyaltyctl: unauthorized: no token", 0) == 0);
  TempFile csv("sku,name,category_path,brand\n");
  CHECK(ctl(state, {"--core", "h:1", "catalogue", "import", csv.path()}).exit == 1);
  CHECK(state.connections == 0);

  CHECK(ctl(state, {"--core", "h:1", "campaigns", "list"}, nullptr, "from-env").exit == 0);
  CHECK(state.token == "from-env");
  const Run given =
      ctl(state, {"--core", "h:1", "--token", "from-flag", "campaigns", "list"}, nullptr, "env");
  CHECK(given.exit == 0);
  CHECK(state.token == "from-flag");
  CHECK(given.out == "no campaigns\n");
  // customer show needs none.
  state.history.tier = "base";
  CHECK(ctl(state, {"--core", "h:1", "customer", "show", kCard}).exit == 0);
  CHECK(state.token.empty());
}

TEST_CASE("loyaltyctl: login reads the password file and prints the token", "[tools]") {
  FakeCoreState state;
  state.answers["POST /v1/admin/login"] =
      R"({"token":"abc123","expires_at_ms":5,"user":"root","role":"hq_admin","stores":[]})";
  TempFile password("s3cret-pass\nignored second line\n");
  const Run r =
      ctl(state, {"--core", "h:1", "login", "--user", "root", "--password-file", password.path()});
  INFO(r.err);
  CHECK(r.exit == 0);
  CHECK(r.out == "abc123\n");
  REQUIRE(state.calls.size() == 1);
  CHECK(state.calls[0].body == R"({"user":"root","password":"s3cret-pass"})");

  const Run json = ctl(state, {"--core", "h:1", "--json", "login", "--user=root",
                               "--password-file=" + password.path()});
  CHECK(json.exit == 0);
  CHECK(json.out == state.answers["POST /v1/admin/login"] + "\n");

  CHECK(ctl(state, {"--core", "h:1", "login", "--user", "root"}).exit == 2);
  TempFile empty("\n");
  const Run blank =
      ctl(state, {"--core", "h:1", "login", "--user", "root", "--password-file", empty.path()});
  CHECK(blank.exit == 1);
  CHECK(blank.err.find("invalid_value") != std::string::npos);
  state.failWith = base::makeError(ErrorCode::kUnauthorized, "wrong user name or password");
  const Run wrong =
      ctl(state, {"--core", "h:1", "login", "--user", "root", "--password-file", password.path()});
  CHECK(wrong.exit == 1);
  CHECK(wrong.err == "loyaltyctl: unauthorized: wrong user name or password\n");
}

TEST_CASE("loyaltyctl: users list, add and set", "[tools]") {
  FakeCoreState state;
  state.answers["GET /v1/admin/users"] =
      R"({"users":[{"name":"maria","role":"store_manager","stores":["S1","S2"],)"
      R"("created_at_ms":1709251198000,"disabled":false},{"name":"root","role":"hq_admin",)"
      R"("stores":[],"created_at_ms":1709251198000,"disabled":true}]})";
  state.answers["POST /v1/admin/users"] =
      R"({"name":"ann","role":"analyst","stores":[],"created_at_ms":1,"disabled":false})";
  state.answers["PUT /v1/admin/users/maria"] =
      R"({"name":"maria","role":"store_manager","stores":["S1"],"created_at_ms":1,)"
      R"("disabled":true})";
  const Run list = ctl(state, {"--token", kToken, "users", "list"});
  INFO(list.out);
  CHECK(list.exit == 0);
  CHECK(list.out.find("name   role           stores  created     disabled") != std::string::npos);
  CHECK(list.out.find("maria  store_manager  S1,S2   2024-02-29  no") != std::string::npos);
  CHECK(list.out.find("root   hq_admin       -       2024-02-29  yes") != std::string::npos);

  TempFile password("ann-password\n");
  const Run add = ctl(state, {"--token", kToken, "users", "add", "ann", "--role", "analyst",
                              "--password-file", password.path()});
  CHECK(add.exit == 0);
  CHECK(add.out == "user ann added (analyst)\n");
  CHECK(state.calls.back().body ==
        R"({"name":"ann","role":"analyst","stores":[],"password":"ann-password"})");
  CHECK(ctl(state, {"--token", kToken, "users", "add", "ann", "--role", "analyst"}).exit == 2);

  const Run set = ctl(state, {"--token", kToken, "users", "set", "maria", "--stores", "S1",
                              "--disable", "--password-file", password.path()});
  CHECK(set.exit == 0);
  CHECK(state.calls.back().method == "PUT");
  CHECK(state.calls.back().path == "/v1/admin/users/maria");
  CHECK(state.calls.back().body ==
        R"({"stores":["S1"],"password":"ann-password","disabled":true})");
  CHECK(ctl(state, {"--token", kToken, "users", "set", "maria"}).exit == 2);
  CHECK(ctl(state, {"--token", kToken, "users", "set", "maria", "--disable", "--enable"}).exit ==
        2);
  CHECK(ctl(state, {"--token", kToken, "users", "set", "ma/ria", "--enable"}).exit == 2);
}

TEST_CASE("loyaltyctl: programme show, set and preview", "[tools]") {
  FakeCoreState state;
  const std::string programme =
      R"({"earn":{"base":{"pointsPerUnit":1,"excludedCategories":["tobacco"]},"tiers":[]},)"
      R"("expiry_months":0})";
  state.answers["GET /v1/admin/programme"] = programme;
  state.answers["PUT /v1/admin/programme"] = programme;
  state.answers["POST /v1/admin/programme/preview"] =
      R"({"days":30,"sales_scanned":100,"sales_touched":40,"shoppers_touched":12,)"
      R"("coupons_issued":0,"discount_cost":0,"points_cost":-250})";
  const Run show = ctl(state, {"--token", kToken, "programme", "show"});
  CHECK(show.exit == 0);
  CHECK(show.out ==
        "{\n"
        "  \"earn\": {\n"
        "    \"base\": {\n"
        "      \"pointsPerUnit\": 1,\n"
        "      \"excludedCategories\": [\"tobacco\"]\n"
        "    },\n"
        "    \"tiers\": []\n"
        "  },\n"
        "  \"expiry_months\": 0\n"
        "}\n");
  // What show prints is valid JSON that set accepts.
  CHECK(protocol::json::parse(show.out).ok());
  const Run json = ctl(state, {"--token", kToken, "--json", "programme", "show"});
  CHECK(json.out == programme + "\n");

  TempFile file(show.out);
  const Run set = ctl(state, {"--token", kToken, "programme", "set", file.path()});
  CHECK(set.exit == 0);
  CHECK(set.out.rfind("programme updated\n", 0) == 0);
  CHECK(state.calls.back().body == programme);  // sent compact

  const Run preview =
      ctl(state, {"--token", kToken, "programme", "preview", file.path(), "--days", "30"});
  INFO(preview.out);
  CHECK(preview.exit == 0);
  CHECK(state.calls.back().body == "{\"programme\":" + programme + ",\"days\":30}");
  CHECK(preview.out.find("sales touched     40") != std::string::npos);
  CHECK(preview.out.find("points cost       -250") != std::string::npos);
  CHECK(ctl(state, {"--token", kToken, "programme", "preview", file.path()}).exit == 2);
  CHECK(ctl(state, {"--token", kToken, "programme", "preview", file.path(), "--days", "0"}).exit ==
        2);

  const size_t calls = state.calls.size();
  TempFile broken("{\"earn\":");
  const Run bad = ctl(state, {"--token", kToken, "programme", "set", broken.path()});
  CHECK(bad.exit == 1);
  CHECK(bad.err.rfind("loyaltyctl: malformed_json: ", 0) == 0);
  CHECK(state.calls.size() == calls);  // refused before any request
}

TEST_CASE("loyaltyctl: campaigns list, show, create, update, status, issue, preview", "[tools]") {
  FakeCoreState state;
  const std::string campaign =
      R"({"id":7,"name":"Dairy week","owner_store":"","status":"active","from":"2024-03-01",)"
      R"("to":"2024-03-07","reward":{"kind":"percent_off","target":"category","value":"dairy",)"
      R"("percent":20},"tiers":[],"stores":["S1","S2"],"validity_days":14,"budget_count":0,)"
      R"("budget_cost":0,"cap_per_visit":1,"cap_per_period":0,"cap_period_days":30,)"
      R"("issuance":"manual","control_percent":0,"issued_count":120,"redeemed_count":31,)"
      R"("redeemed_cost":4650,"updated_at_ms":1709251198000})";
  state.answers["GET /v1/admin/campaigns"] = "{\"campaigns\":[" + campaign + "]}";
  state.answers["GET /v1/admin/campaigns/7"] = campaign;
  state.answers["POST /v1/admin/campaigns"] = campaign;
  state.answers["PUT /v1/admin/campaigns/7"] = campaign;
  state.answers["POST /v1/admin/campaigns/7/status"] = campaign;
  state.answers["POST /v1/admin/campaigns/7/issue"] =
      R"({"coupons":[{"card":"9000000000019","serial":41,"code":"LC1XYZ",)"
      R"("expires":"2024-03-14"}]})";
  state.answers["POST /v1/admin/campaigns/preview"] =
      R"({"days":7,"sales_scanned":10,"sales_touched":3,"shoppers_touched":3,)"
      R"("coupons_issued":0,"discount_cost":1234,"points_cost":0})";

  const Run list = ctl(state, {"--token", kToken, "campaigns", "list"});
  INFO(list.out);
  CHECK(list.exit == 0);
  CHECK(list.out.find("7  Dairy week  active  HQ     S1,S2   2024-03-01 to 2024-03-07  "
                      "20% off dairy") != std::string::npos);
  CHECK(list.out.find("120        31  46.50") != std::string::npos);

  const Run show = ctl(state, {"--token", kToken, "campaigns", "show", "7"});
  INFO(show.out);
  CHECK(show.exit == 0);
  CHECK(show.out.find("reward         20% off dairy") != std::string::npos);
  CHECK(show.out.find("redeemed       31 (46.50)") != std::string::npos);
  CHECK(ctl(state, {"--token", kToken, "campaigns", "show", "seven"}).exit == 2);

  TempFile file(campaign);
  const Run create = ctl(state, {"--token", kToken, "campaigns", "create", file.path()});
  CHECK(create.exit == 0);
  CHECK(create.out.rfind("campaign 7 created (active)\n", 0) == 0);
  CHECK(state.calls.back().body == campaign);
  const Run update = ctl(state, {"--token", kToken, "campaigns", "update", "7", file.path()});
  CHECK(update.exit == 0);
  CHECK(state.calls.back().method == "PUT");
  const Run status = ctl(state, {"--token", kToken, "campaigns", "status", "7", "active"});
  CHECK(status.out == "campaign 7 is active\n");
  CHECK(state.calls.back().body == R"({"status":"active"})");

  TempFile cards("# cards for the mailing\n9000000000019\n\n  9000000000027  \n");
  const Run issue =
      ctl(state, {"--token", kToken, "campaigns", "issue", "7", "--cards", cards.path()});
  INFO(issue.out);
  CHECK(issue.exit == 0);
  CHECK(state.calls.back().body == R"({"cards":["9000000000019","9000000000027"]})");
  CHECK(issue.out.find("9000000000019      41  2024-03-14  LC1XYZ") != std::string::npos);
  const size_t calls = state.calls.size();
  TempFile badCards("9000000000019\n9000000000018\n");
  const Run bad =
      ctl(state, {"--token", kToken, "campaigns", "issue", "7", "--cards", badCards.path()});
  CHECK(bad.exit == 1);
  CHECK(bad.err.rfind("loyaltyctl: invalid_card: ", 0) == 0);
  CHECK(bad.err.find("line 2") != std::string::npos);
  CHECK(state.calls.size() == calls);

  const Run preview =
      ctl(state, {"--token", kToken, "campaigns", "preview", file.path(), "--days=7"});
  CHECK(preview.exit == 0);
  CHECK(preview.out.find("discount cost     12.34") != std::string::npos);
  CHECK(state.calls.back().body == "{\"campaign\":" + campaign + ",\"days\":7}");

  CHECK(ctl(state, {"--token", kToken, "campaigns", "list", "--days", "3"}).exit == 2);
  state.failWith = base::makeError(ErrorCode::kForbidden, "store S2 is not one of your stores");
  const Run refused = ctl(state, {"--token", kToken, "campaigns", "create", file.path()});
  CHECK(refused.exit == 1);
  CHECK(refused.err == "loyaltyctl: forbidden: store S2 is not one of your stores\n");
}

TEST_CASE("loyaltyctl: coupons conflicts, points expire and audit", "[tools]") {
  FakeCoreState state;
  state.answers["GET /v1/admin/coupons/conflicts?limit=5"] =
      R"({"conflicts":[{"id":1,"serial":41,"campaign":7,"customer":3,"card":"9000000000019",)"
      R"("sale":90,"discount":150,"bonus_points":0,"conflict":"double_use","offline":true,)"
      R"("created_at_ms":1709251198000}]})";
  state.answers["POST /v1/admin/points/expire"] =
      R"({"customers_scanned":10,"customers_expired":2,"points_expired":300,"cutoff_ms":0})";
  state.answers["GET /v1/admin/audit?limit=2&before=9"] =
      R"({"entries":[{"id":8,"at_ms":1709251198000,"user":"root","action":"campaign.update",)"
      R"("target":"campaign:7","outcome":"ok","before":{},"after":{}},{"id":7,"at_ms":)"
      R"(1709251198000,"user":"maria","action":"campaign.create","target":"campaign:new",)"
      R"("outcome":"denied","before":null,"after":null}],"next_before":7})";

  const Run conflicts = ctl(state, {"--token", kToken, "coupons", "conflicts", "--limit", "5"});
  INFO(conflicts.out);
  CHECK(conflicts.exit == 0);
  CHECK(conflicts.out.find("2024-02-29 23:59:58      41         7  9000000000019    90      1.50"
                           "  double_use  yes") != std::string::npos);
  const Run expire = ctl(state, {"--token", kToken, "points", "expire"});
  CHECK(expire.exit == 0);
  CHECK(expire.out.find("points expired     300") != std::string::npos);
  CHECK(state.calls.back().method == "POST");

  const Run audit = ctl(state, {"--token", kToken, "audit", "--limit", "2", "--before", "9"});
  INFO(audit.out);
  CHECK(audit.exit == 0);
  CHECK(audit.out.find("8  2024-02-29 23:59:58  root   campaign.update  campaign:7    ok") !=
        std::string::npos);
  CHECK(audit.out.find("maria  campaign.create  campaign:new  denied") != std::string::npos);
  CHECK(audit.out.find("older entries: loyaltyctl audit --before 7") != std::string::npos);
  CHECK(ctl(state, {"--token", kToken, "audit", "--limit", "0"}).exit == 2);
}

}  // namespace
}  // namespace loyalty::tools
