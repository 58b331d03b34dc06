// Acceptance: malformed or hostile requests each get a 4xx with their documented error code, and
// the database is unchanged. Every case is sent to the core directly and to a pos-agent in front
// of it (which must refuse the same way and queue nothing).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "integration/daemons.h"
#include "loyalty/protocol/card.h"
#include "loyalty/protocol/codec.h"

using namespace loyalty;
using namespace loyalty::testing;

namespace {

struct BadCase {
  std::string name;
  std::string method;
  std::string path;
  std::string body;
  int status;
  std::string code;
  std::string contentType = "application/json";
};

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

const std::string kCard = protocol::cardForCustomerNumber(4242);

// A valid commit whose parts the cases below break one at a time.
std::string commit(const std::string& lines = R"([{"line":1,"sku":"P1","quantity":2,"unit_price":199}])",
                   const std::string& extra = "", const std::string& card = "\"" + kCard + "\"",
                   const std::string& key = R"("store":"S001","terminal":"T1","business_date":"2026-11-23","txn":"bad-1")") {
  return "{" + key + R"(,"card":)" + card + R"(,"lines":)" + lines + extra + "}";
}

std::string manyLines(int n) {
  std::string s = "[";
  for (int i = 1; i <= n; ++i) {
    s += (i > 1 ? "," : "") + std::string(R"({"line":)") + std::to_string(i) +
         R"(,"sku":"P1","quantity":1,"unit_price":1})";
  }
  return s + "]";
}

std::vector<BadCase> badCases() {
  const std::string line = R"([{"line":1,"sku":"P1","quantity":QTY,"unit_price":PRICE}])";
  auto withLine = [&](const std::string& qty, const std::string& price) {
    return commit(replaceAll(replaceAll(line, "QTY", qty), "PRICE", price));
  };
  const std::string validKey = R"("store":"S001","terminal":"T1","business_date":"2026-11-23")";
  std::vector<BadCase> cases = {
      {"empty body", "POST", "/v1/commit", "", 400, "malformed_json"},
      {"truncated JSON", "POST", "/v1/commit", commit().substr(0, 60), 400, "malformed_json"},
      {"trailing garbage", "POST", "/v1/commit", commit() + " x", 400, "malformed_json"},
      {"not an object", "POST", "/v1/commit", "[1,2,3]", 400, "wrong_type"},
      {"store is a number", "POST", "/v1/commit",
       commit(manyLines(1), "", "\"" + kCard + "\"",
              R"("store":1,"terminal":"T1","business_date":"2026-11-23","txn":"bad-1")"),
       400, "wrong_type"},
      {"missing card", "POST", "/v1/commit",
       "{" + validKey + R"(,"txn":"b","lines":)" + manyLines(1) + "}", 400, "missing_field"},
      {"missing lines", "POST", "/v1/commit",
       "{" + validKey + R"(,"txn":"b","card":")" + kCard + "\"}", 400, "missing_field"},
      {"no lines", "POST", "/v1/commit", commit("[]"), 400, "invalid_value"},
      {"negative quantity", "POST", "/v1/commit", withLine("-1", "199"), 400,
       "value_out_of_range"},
      {"zero quantity", "POST", "/v1/commit", withLine("0", "199"), 400, "value_out_of_range"},
      {"huge quantity", "POST", "/v1/commit", withLine("1000000000", "199"), 400,
       "value_out_of_range"},
      {"negative price", "POST", "/v1/commit", withLine("1", "-5"), 400, "value_out_of_range"},
      {"price beyond int64", "POST", "/v1/commit", withLine("1", "99999999999999999999"), 400,
       "value_out_of_range"},
      {"fractional quantity", "POST", "/v1/commit", withLine("1.5", "199"), 400, "wrong_type"},
      {"quantity as string", "POST", "/v1/commit", withLine("\"2\"", "199"), 400, "wrong_type"},
      {"overflowing total", "POST", "/v1/commit",
       commit(R"([{"line":1,"sku":"P1","quantity":9999,"unit_price":100000000},)"
              R"({"line":2,"sku":"P2","quantity":9999,"unit_price":100000000}])"),
       400, "total_out_of_range"},
      {"too many lines", "POST", "/v1/commit", commit(manyLines(501)), 400, "too_many_lines"},
      {"bad check digit", "POST", "/v1/commit",
       commit(manyLines(1), "", "\"" + kCard.substr(0, 12) + (kCard[12] == '0' ? "1" : "0") + "\""),
       400, "invalid_card"},
      {"card with letters", "POST", "/v1/commit", commit(manyLines(1), "", "\"90000000000AB\""),
       400, "invalid_card"},
      {"card as number", "POST", "/v1/commit", commit(manyLines(1), "", kCard), 400, "wrong_type"},
      {"duplicate line numbers", "POST", "/v1/commit",
       commit(R"([{"line":1,"sku":"P1","quantity":1,"unit_price":1},)"
              R"({"line":1,"sku":"P2","quantity":1,"unit_price":1}])"),
       400, "duplicate_line"},
      {"invalid UTF-8", "POST", "/v1/commit",
       commit("[{\"line\":1,\"sku\":\"P\xC3\x28\",\"quantity\":1,\"unit_price\":1}]"), 400,
       "invalid_encoding"},
      {"lone surrogate escape", "POST", "/v1/commit",
       commit(R"([{"line":1,"sku":"P\ud800","quantity":1,"unit_price":1}])"), 400,
       "invalid_encoding"},
      {"deep nesting", "POST", "/v1/commit",
       commit(manyLines(1), R"(,"x":)" + std::string(200, '[') + std::string(200, ']')), 400,
       "nesting_too_deep"},
      {"duplicate key", "POST", "/v1/commit",
       commit(manyLines(1), R"(,"card":")" + kCard + "\""), 400, "duplicate_key"},
      {"unknown field", "POST", "/v1/commit", commit(manyLines(1), R"(,"cashier":"Bob")"), 400,
       "unknown_field"},
      {"impossible date", "POST", "/v1/commit",
       commit(manyLines(1), "", "\"" + kCard + "\"",
              R"("store":"S001","terminal":"T1","business_date":"2026-02-30","txn":"b")"),
       400, "invalid_value"},
      {"store with a space", "POST", "/v1/commit",
       commit(manyLines(1), "", "\"" + kCard + "\"",
              R"("store":"S 01","terminal":"T1","business_date":"2026-11-23","txn":"b")"),
       400, "invalid_value"},
      {"txn too long", "POST", "/v1/commit",
       commit(manyLines(1), "", "\"" + kCard + "\"",
              validKey + R"(,"txn":")" + std::string(40, '7') + "\""),
       400, "invalid_value"},
      {"empty sku", "POST", "/v1/commit",
       commit(R"([{"line":1,"sku":"","quantity":1,"unit_price":1}])"), 400, "invalid_value"},
      {"line number zero", "POST", "/v1/commit",
       commit(R"([{"line":0,"sku":"P1","quantity":1,"unit_price":1}])"), 400,
       "value_out_of_range"},
      {"negative tender", "POST", "/v1/commit",
       commit(manyLines(1), R"(,"tenders":[{"type":"cash","amount":-1}])"), 400,
       "value_out_of_range"},
      {"oversized body", "POST", "/v1/commit",
       commit(manyLines(1), R"(,"pad":")" + std::string(300 * 1024, 'a') + "\""), 413,
       "body_too_large"},
      {"text/plain body", "POST", "/v1/commit", commit(), 415, "unsupported_media_type",
       "text/plain"},
      {"key reused with another basket", "POST", "/v1/commit",
       commit(manyLines(1), "", "\"" + kCard + "\"", validKey + R"(,"txn":"good-1")"), 409,
       "idempotency_conflict"},
      {"identify with bad card", "POST", "/v1/identify",
       R"({"card":"1234567890123","store":"S001","terminal":"T1"})", 400, "invalid_card"},
      {"refund of an unknown sale", "POST", "/v1/refund",
       "{" + validKey + R"(,"txn":"r1","original":{)" + validKey +
           R"(,"txn":"nope"},"lines":[{"line":1,"quantity":1}]})",
       404, "unknown_sale"},
      {"refund of more than sold", "POST", "/v1/refund",
       "{" + validKey + R"(,"txn":"r2","original":{)" + validKey +
           R"(,"txn":"good-1"},"lines":[{"line":1,"quantity":3}]})",
       422, "refund_exceeds_sale"},
      {"refund of a missing line", "POST", "/v1/refund",
       "{" + validKey + R"(,"txn":"r3","original":{)" + validKey +
           R"(,"txn":"good-1"},"lines":[{"line":7,"quantity":1}]})",
       422, "unknown_line"},
      {"wrong method", "GET", "/v1/commit", "", 405, "method_not_allowed"},
      {"unknown endpoint", "POST", "/v1/nothing", "{}", 404, "not_found"},
  };
  return cases;
}

std::string documentedErrors() {
  std::ifstream in(std::string(LOYALTY_DOCS_DIR) + "/protocol.md");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("Bad input: hostile requests get their documented 4xx and change nothing",
          "[integration]") {
  TempDir dir("loyalty-bad-input");
  CoreDaemon core(dir);
  core.start();
  AgentDaemon agent(dir, "agent", core.port());
  agent.start();
  auto coreClient = core.client();
  REQUIRE(core.adminClient().importCatalogue(testCatalogueCsv()).ok());
  // One good sale, so that refunds and key reuse have something to hit.
  protocol::CommitRequest good;
  good.key = {"S001", "T1", "2026-11-23", "good-1"};
  good.card = kCard;
  good.lines.push_back({1, "P1", 2, base::Money(199)});
  REQUIRE(coreClient.commit(good).ok());

  const std::string docs = documentedErrors();
  DbInspector db(core.databasePath());
  const std::string before = db.snapshot();
  auto cases = badCases();
  REQUIRE(cases.size() >= 30);
  auto agentClient = agent.client();
  for (const auto& c : cases) {
    for (auto* client : {&coreClient, &agentClient}) {
      const bool viaAgent = client == &agentClient;
      INFO(c.name << (viaAgent ? " (through the agent)" : " (core)"));
      auto r = client->send(c.method, c.path, c.body, c.contentType);
      REQUIRE(r.ok());
      CHECK(r->status == c.status);
      CHECK(r->contentType.rfind("application/problem+json", 0) == 0);
      auto error = protocol::decodeErrorBody(r->body);
      REQUIRE(error.ok());
      CHECK(error->code == c.code);
      CHECK(error->status == c.status);
      CHECK_FALSE(error->requestId.empty());
      CHECK(docs.find("| `" + c.code + "` | " + std::to_string(c.status) + " |") !=
            std::string::npos);
    }
  }
  CHECK(db.snapshot() == before);
  CHECK(agent.outboxPending() == 0);
  agent.stop();
  core.stop();
}
