// Tests of loyaltyctl's commands (tools/loyaltyctl/ctl.h) with a fake core: output, exit status,
// error format, address selection, and the local refusal of bad card numbers.
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "loyalty/protocol/card.h"
#include "loyalty/protocol/codec.h"
#include "loyaltyctl/ctl.h"

namespace loyalty::tools {
namespace {

namespace fs = std::filesystem;
using base::ErrorCode;

// What the fake core was asked, and how it answers.
struct FakeCoreState {
  int connections = 0;
  std::string endpoint;
  int timeoutMs = 0;
  std::vector<std::string> historyCards;
  std::vector<std::string> imported;
  std::optional<base::Error> failWith;
  protocol::CustomerHistory history;
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

 private:
  FakeCoreState& state_;
};

struct Run {
  int exit = -1;
  std::string out;
  std::string err;
};

Run ctl(FakeCoreState& state, const std::vector<std::string>& args, const char* envCore = nullptr) {
  std::ostringstream out;
  std::ostringstream err;
  const CoreApiFactory factory = [&state](const Endpoint& e, int timeoutMs) -> CoreApiPtr {
    ++state.connections;
    state.endpoint = e.str();
    state.timeoutMs = timeoutMs;
    return std::make_unique<FakeCore>(state);
  };
  Run r;
  r.exit = runLoyaltyctl(args, envCore, factory, out, err);
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
  const Run r = ctl(state, {"--core", "h:1", "catalogue", "import", file.path()});
  CHECK(r.exit == 0);
  CHECK(r.out == "imported 2 products\n");
  CHECK(state.imported == std::vector<std::string>{csv});

  const Run json = ctl(state, {"--core", "h:1", "--json", "catalogue", "import", file.path()});
  CHECK(json.exit == 0);
  CHECK(json.out == "{\"imported\":2}\n");

  state.failWith = base::makeError(ErrorCode::kInvalidCsv, "line 2: 3 fields, want 4");
  const Run refused = ctl(state, {"--core", "h:1", "catalogue", "import", file.path()});
  CHECK(refused.exit == 1);
  CHECK(refused.err == "loyaltyctl: invalid_csv: line 2: 3 fields, want 4\n");
}

TEST_CASE("loyaltyctl: a missing catalogue file fails without a request", "[tools]") {
  FakeCoreState state;
  const Run r = ctl(state, {"--core", "h:1", "catalogue", "import", "/nonexistent/cat.csv"});
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

}  // namespace
}  // namespace loyalty::tools
