// Tests of the message codec (loyalty/protocol/codec.h): round trips, every validation rule with
// its error code and field path, optional fields, leniency of response decoders, fingerprints.
#include "loyalty/protocol/codec.h"

#include <catch2/catch.hpp>
#include <functional>
#include <string>

#include "loyalty/protocol/card.h"
#include "loyalty/protocol/json.h"
#include "loyalty/protocol/limits.h"

namespace {

using loyalty::base::ErrorCode;
using loyalty::base::Money;
using loyalty::base::Points;
using namespace loyalty::protocol;  // NOLINT(google-build-using-namespace): test file
using json::Value;

const std::string kCard = cardForCustomerNumber(1234567);  // 9000012345675

const char* const kCommit = R"({
  "store": "S042", "terminal": "T03", "business_date": "2024-03-15", "txn": "000123",
  "card": "9000012345675",
  "lines": [
    {"line": 1, "sku": "4006381333931", "quantity": 2, "unit_price": 149},
    {"line": 2, "sku": "BANANA-KG", "quantity": 1, "unit_price": 263}
  ],
  "tenders": [{"type": "card", "amount": 561}]
})";

const char* const kPrice = R"({
  "store": "S042", "terminal": "T03", "business_date": "2024-03-15", "txn": "000123",
  "card": "9000012345675",
  "lines": [{"line": 1, "sku": "4006381333931", "quantity": 2, "unit_price": 149}],
  "coupons": ["WELCOME5"]
})";

const char* const kRefund = R"({
  "store": "S042", "terminal": "T01", "business_date": "2024-03-16", "txn": "000007",
  "original": {"store": "S042", "terminal": "T03", "business_date": "2024-03-15", "txn": "000123"},
  "lines": [{"line": 2, "quantity": 1}]
})";

const char* const kIdentify = R"({"card": "9000012345675", "store": "S042", "terminal": "T03"})";

Value parsed(std::string_view text) {
  auto r = json::parse(text);
  REQUIRE(r.ok());
  return std::move(r).value();
}

Value* member(Value& obj, std::string_view key) {
  for (auto& m : obj.members()) {
    if (m.first == key) {
      return &m.second;
    }
  }
  return nullptr;
}

void set(Value& obj, std::string_view key, Value v) {
  if (Value* existing = member(obj, key)) {
    *existing = std::move(v);
  } else {
    obj.members().emplace_back(std::string(key), std::move(v));
  }
}

void erase(Value& obj, std::string_view key) {
  auto& ms = obj.members();
  for (auto it = ms.begin(); it != ms.end(); ++it) {
    if (it->first == key) {
      ms.erase(it);
      return;
    }
  }
}

// The base document with one change applied, serialised.
std::string mutated(const char* base, const std::function<void(Value&)>& change) {
  Value v = parsed(base);
  change(v);
  return json::serialize(v);
}

Value& line(Value& doc, size_t i) { return member(doc, "lines")->items()[i]; }

Value basketLine(int64_t number, const std::string& sku, int64_t quantity, int64_t price) {
  return Value::object({{"line", Value::integer(number)},
                        {"sku", Value::string(sku)},
                        {"quantity", Value::integer(quantity)},
                        {"unit_price", Value::integer(price)}});
}

template <typename Decode>
void expectError(Decode decode, const std::string& body, ErrorCode code, const std::string& path) {
  INFO("body: " << body);
  const auto r = decode(body);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == code);
  if (!path.empty()) {
    INFO("message: " << r.error().message);
    CHECK(r.error().message.rfind(path + ":", 0) == 0);  // the message starts with the path
  }
}

void expectCommitError(const std::string& body, ErrorCode code, const std::string& path) {
  expectError([](std::string_view b) { return decodeCommitRequest(b); }, body, code, path);
}

TransactionKey key(const char* txn) { return TransactionKey{"S042", "T03", "2024-03-15", txn}; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Valid requests

TEST_CASE("Codec: decodes a valid commit request", "[protocol]") {
  auto r = decodeCommitRequest(kCommit);
  REQUIRE(r.ok());
  const CommitRequest& m = r.value();
  CHECK(m.key == key("000123"));
  CHECK(m.card == kCard);
  REQUIRE(m.lines.size() == 2);
  CHECK(m.lines[0].line == 1);
  CHECK(m.lines[0].sku == "4006381333931");
  CHECK(m.lines[0].quantity == 2);
  CHECK(m.lines[0].unitPrice == Money(149));
  CHECK(m.lines[1].sku == "BANANA-KG");
  REQUIRE(m.tenders.size() == 1);
  CHECK(m.tenders[0].type == "card");
  CHECK(m.tenders[0].amount == Money(561));
}

TEST_CASE("Codec: decodes valid price, refund and identify requests", "[protocol]") {
  auto price = decodePriceRequest(kPrice);
  REQUIRE(price.ok());
  CHECK(price->key == key("000123"));
  CHECK(price->lines.size() == 1);
  REQUIRE(price->coupons.size() == 1);
  CHECK(price->coupons[0] == "WELCOME5");

  auto refund = decodeRefundRequest(kRefund);
  REQUIRE(refund.ok());
  CHECK(refund->key == (TransactionKey{"S042", "T01", "2024-03-16", "000007"}));
  CHECK(refund->original == key("000123"));
  REQUIRE(refund->lines.size() == 1);
  CHECK(refund->lines[0].line == 2);
  CHECK(refund->lines[0].quantity == 1);

  auto identify = decodeIdentifyRequest(kIdentify);
  REQUIRE(identify.ok());
  CHECK(identify->card == kCard);
  CHECK(identify->store == "S042");
  CHECK(identify->terminal == "T03");
}

TEST_CASE("Codec: optional request fields may be absent", "[protocol]") {
  auto commit = decodeCommitRequest(mutated(kCommit, [](Value& v) { erase(v, "tenders"); }));
  REQUIRE(commit.ok());
  CHECK(commit->tenders.empty());
  auto emptyTenders =
      decodeCommitRequest(mutated(kCommit, [](Value& v) { set(v, "tenders", Value::array()); }));
  REQUIRE(emptyTenders.ok());
  CHECK(emptyTenders->tenders.empty());

  auto price = decodePriceRequest(mutated(kPrice, [](Value& v) { erase(v, "coupons"); }));
  REQUIRE(price.ok());
  CHECK(price->coupons.empty());
  // Encoders leave empty optional arrays out.
  CHECK(encode(price.value()).find("coupons") == std::string::npos);
  CHECK(encode(commit.value()).find("tenders") == std::string::npos);
}

TEST_CASE("Codec: limits are inclusive", "[protocol]") {
  const std::string id32(32, 'a');
  const std::string sku64(64, '~');
  auto body = mutated(kCommit, [&](Value& v) {
    set(v, "store", Value::string(id32));
    set(v, "terminal", Value::string("A-z_0"));
    set(v, "txn", Value::string(id32));
    set(v, "business_date", Value::string("2000-02-29"));
    set(line(v, 0), "line", Value::integer(kMaxLineNumber));
    set(line(v, 0), "sku", Value::string(sku64));
    set(line(v, 0), "quantity", Value::integer(kMaxQuantity));
    set(line(v, 0), "unit_price", Value::integer(0));
    set(line(v, 1), "unit_price", Value::integer(kMaxUnitPrice));
    set(v, "tenders",
        Value::array({Value::object({{"type", Value::string(std::string(128, 'x'))},
                                     {"amount", Value::integer(kMaxBasketTotal)}})}));
  });
  auto r = decodeCommitRequest(body);
  INFO((r.ok() ? std::string() : r.error().message));
  REQUIRE(r.ok());
  CHECK(r->key.store == id32);
  CHECK(r->lines[0].line == kMaxLineNumber);
  CHECK(r->lines[0].sku == sku64);
  CHECK(r->lines[0].quantity == kMaxQuantity);
  CHECK(r->lines[1].unitPrice == Money(kMaxUnitPrice));
  CHECK(r->tenders[0].amount == Money(kMaxBasketTotal));

  // 500 lines whose total is exactly the basket limit.
  auto full = mutated(kCommit, [](Value& v) {
    std::vector<Value> lines;
    for (int i = 1; i <= static_cast<int>(kMaxLines); ++i) {
      lines.push_back(basketLine(i, "SKU" + std::to_string(i), 1, kMaxBasketTotal / 500));
    }
    set(v, "lines", Value::array(std::move(lines)));
  });
  auto fullResult = decodeCommitRequest(full);
  REQUIRE(fullResult.ok());
  CHECK(fullResult->lines.size() == kMaxLines);
}

// ---------------------------------------------------------------------------------------------
// Validation rules, each with its code and field path

TEST_CASE("Codec: JSON-level problems keep their codes", "[protocol]") {
  expectCommitError("{\"store\":", ErrorCode::kMalformedJson, "");
  expectCommitError("{\"store\":\"S\xFF\"}", ErrorCode::kInvalidEncoding, "");
  expectCommitError("{\"store\":\"S1\",\"store\":\"S2\"}", ErrorCode::kDuplicateKey, "");
  expectCommitError("{\"txn\":99999999999999999999}", ErrorCode::kValueOutOfRange, "");
  // Depth: kMaxJsonDepth levels parse (and then fail on shape); one more is refused.
  std::string deep = "{\"store\":";
  for (int i = 1; i < kMaxJsonDepth; ++i) {
    deep += "[";
  }
  deep += "1";
  for (int i = 1; i < kMaxJsonDepth; ++i) {
    deep += "]";
  }
  deep += "}";
  expectCommitError(deep, ErrorCode::kMissingField, "terminal");
  expectCommitError("{\"store\":[" + deep.substr(9, deep.size() - 10) + "]}",
                    ErrorCode::kNestingTooDeep, "");
  // Body size: kMaxBodyBytes is the limit for requests (whitespace counts).
  std::string padded = kCommit;
  padded.resize(kMaxBodyBytes, ' ');
  CHECK(decodeCommitRequest(padded).ok());
  padded.push_back(' ');
  expectCommitError(padded, ErrorCode::kBodyTooLarge, "");
}

TEST_CASE("Codec: message shape problems", "[protocol]") {
  expectCommitError("[]", ErrorCode::kWrongType, "");
  expectCommitError("\"commit\"", ErrorCode::kWrongType, "");
  expectCommitError(mutated(kCommit, [](Value& v) { erase(v, "card"); }), ErrorCode::kMissingField,
                    "card");
  expectCommitError(mutated(kCommit, [](Value& v) { erase(v, "lines"); }), ErrorCode::kMissingField,
                    "lines");
  expectCommitError(mutated(kCommit, [](Value& v) { set(v, "cashier", Value::string("ann")); }),
                    ErrorCode::kUnknownField, "cashier");
  expectCommitError(mutated(kCommit, [](Value& v) { set(v, "store", Value::integer(42)); }),
                    ErrorCode::kWrongType, "store");
  expectCommitError(mutated(kCommit, [](Value& v) { set(v, "lines", Value::object()); }),
                    ErrorCode::kWrongType, "lines");
  expectCommitError(mutated(kCommit, [](Value& v) { line(v, 1) = Value::integer(3); }),
                    ErrorCode::kWrongType, "lines[1]");
  expectCommitError(mutated(kCommit, [](Value& v) { erase(line(v, 1), "sku"); }),
                    ErrorCode::kMissingField, "lines[1].sku");
  expectCommitError(
      mutated(kCommit, [](Value& v) { set(line(v, 0), "discount", Value::integer(1)); }),
      ErrorCode::kUnknownField, "lines[0].discount");
  expectCommitError(
      mutated(kCommit, [](Value& v) { set(line(v, 1), "quantity", Value::number(1.0)); }),
      ErrorCode::kWrongType, "lines[1].quantity");
  expectCommitError(
      mutated(kCommit, [](Value& v) { set(line(v, 1), "quantity", Value::string("1")); }),
      ErrorCode::kWrongType, "lines[1].quantity");
  expectCommitError(
      mutated(kCommit, [](Value& v) { set(line(v, 0), "unit_price", Value::number(1.49)); }),
      ErrorCode::kWrongType, "lines[0].unit_price");
  expectCommitError(mutated(kCommit, [](Value& v) { set(v, "card", Value::null()); }),
                    ErrorCode::kWrongType, "card");
  expectCommitError(mutated(kCommit, [](Value& v) { set(v, "tenders", Value::null()); }),
                    ErrorCode::kWrongType, "tenders");
}

TEST_CASE("Codec: the first problem in documented order wins", "[protocol]") {
  // Missing beats unknown, whatever the document order.
  expectCommitError(mutated(kCommit,
                            [](Value& v) {
                              set(v, "extra", Value::integer(1));
                              erase(v, "txn");
                            }),
                    ErrorCode::kMissingField, "txn");
  // Unknown beats a bad value.
  expectCommitError(mutated(kCommit,
                            [](Value& v) {
                              set(v, "card", Value::string("123"));
                              set(v, "extra", Value::integer(1));
                            }),
                    ErrorCode::kUnknownField, "extra");
  // Fields are checked in documented order: card before lines.
  expectCommitError(mutated(kCommit,
                            [](Value& v) {
                              set(v, "lines", Value::array());
                              set(v, "card", Value::string("123"));
                            }),
                    ErrorCode::kInvalidCard, "card");
  // Within the lines, the earlier line wins.
  expectCommitError(mutated(kCommit,
                            [](Value& v) {
                              set(line(v, 1), "quantity", Value::integer(0));
                              set(line(v, 0), "sku", Value::string(""));
                            }),
                    ErrorCode::kInvalidValue, "lines[0].sku");
}

TEST_CASE("Codec: identifiers and business dates", "[protocol]") {
  const char* badIds[] = {"", "S 42", "S/42", "S\xC3\xA9", "123456789012345678901234567890123"};
  for (const char* bad : badIds) {
    expectCommitError(mutated(kCommit, [&](Value& v) { set(v, "store", Value::string(bad)); }),
                      ErrorCode::kInvalidValue, "store");
    expectCommitError(mutated(kCommit, [&](Value& v) { set(v, "terminal", Value::string(bad)); }),
                      ErrorCode::kInvalidValue, "terminal");
    expectCommitError(mutated(kCommit, [&](Value& v) { set(v, "txn", Value::string(bad)); }),
                      ErrorCode::kInvalidValue, "txn");
  }
  const char* badDates[] = {
      "2024-02-30", "2023-02-29",       "2100-02-29", "1999-12-31", "3000-01-01",
      "2024-13-01", "2024-00-10",       "2024-01-00", "2024-1-01",  "2024/01/01",
      "20240101",   "2024-01-01T00:00", "",           "2024-04-31", "2024-01-0\xEF\xBC\x91"};
  for (const char* bad : badDates) {
    INFO(bad);
    CHECK_FALSE(isValidBusinessDate(bad));
    expectCommitError(
        mutated(kCommit, [&](Value& v) { set(v, "business_date", Value::string(bad)); }),
        ErrorCode::kInvalidValue, "business_date");
  }
  for (const char* good : {"2000-01-01", "2024-02-29", "2000-02-29", "2999-12-31", "2023-12-31"}) {
    INFO(good);
    CHECK(isValidBusinessDate(good));
  }
}

TEST_CASE("Codec: card numbers", "[protocol]") {
  expectCommitError(
      mutated(kCommit, [](Value& v) { set(v, "card", Value::integer(9000012345675)); }),
      ErrorCode::kWrongType, "card");
  expectCommitError(
      mutated(kCommit, [](Value& v) { set(v, "card", Value::string("9000012345674")); }),
      ErrorCode::kInvalidCard, "card");
  expectCommitError(
      mutated(kCommit, [](Value& v) { set(v, "card", Value::string("900001234567")); }),
      ErrorCode::kInvalidCard, "card");
  expectCommitError(mutated(kCommit, [](Value& v) { set(v, "card", Value::string("")); }),
                    ErrorCode::kInvalidCard, "card");
  expectError([](std::string_view b) { return decodeIdentifyRequest(b); },
              R"({"card":"4111111111111112","store":"S1","terminal":"T1"})",
              ErrorCode::kInvalidCard, "card");
  expectError([](std::string_view b) { return decodePriceRequest(b); },
              mutated(kPrice, [](Value& v) { set(v, "card", Value::string("9000012345674")); }),
              ErrorCode::kInvalidCard, "card");
}

TEST_CASE("Codec: basket lines", "[protocol]") {
  expectCommitError(mutated(kCommit, [](Value& v) { set(v, "lines", Value::array()); }),
                    ErrorCode::kInvalidValue, "lines");
  expectCommitError(mutated(kCommit,
                            [](Value& v) {
                              std::vector<Value> lines;
                              for (int i = 1; i <= static_cast<int>(kMaxLines) + 1; ++i) {
                                lines.push_back(basketLine(i, "S", 1, 1));
                              }
                              set(v, "lines", Value::array(std::move(lines)));
                            }),
                    ErrorCode::kTooManyLines, "lines");
  for (int64_t bad : {int64_t{0}, int64_t{-1}, kMaxLineNumber + 1}) {
    expectCommitError(
        mutated(kCommit, [&](Value& v) { set(line(v, 1), "line", Value::integer(bad)); }),
        ErrorCode::kValueOutOfRange, "lines[1].line");
  }
  expectCommitError(mutated(kCommit, [](Value& v) { set(line(v, 1), "line", Value::integer(1)); }),
                    ErrorCode::kDuplicateLine, "lines[1].line");
  for (const std::string& bad :
       {std::string(), std::string("A B"), std::string(65, 'x'), std::string("caf\xC3\xA9"),
        std::string("TAB\t"), std::string("\x7F")}) {
    expectCommitError(
        mutated(kCommit, [&](Value& v) { set(line(v, 0), "sku", Value::string(bad)); }),
        ErrorCode::kInvalidValue, "lines[0].sku");
  }
  for (int64_t bad : {int64_t{0}, int64_t{-3}, kMaxQuantity + 1}) {
    expectCommitError(
        mutated(kCommit, [&](Value& v) { set(line(v, 0), "quantity", Value::integer(bad)); }),
        ErrorCode::kValueOutOfRange, "lines[0].quantity");
  }
  for (int64_t bad : {int64_t{-1}, kMaxUnitPrice + 1, INT64_MAX}) {
    expectCommitError(
        mutated(kCommit, [&](Value& v) { set(line(v, 0), "unit_price", Value::integer(bad)); }),
        ErrorCode::kValueOutOfRange, "lines[0].unit_price");
  }
  // Each line within its bounds, the sum above the basket limit.
  expectCommitError(mutated(kCommit,
                            [](Value& v) {
                              set(line(v, 0), "quantity", Value::integer(kMaxQuantity));
                              set(line(v, 0), "unit_price", Value::integer(kMaxUnitPrice));
                            }),
                    ErrorCode::kTotalOutOfRange, "lines");
  expectCommitError(
      mutated(kCommit,
              [](Value& v) {
                std::vector<Value> lines;
                for (int i = 1; i <= static_cast<int>(kMaxLines); ++i) {
                  lines.push_back(basketLine(i, "S", 1, kMaxBasketTotal / 500 + (i == 500)));
                }
                set(v, "lines", Value::array(std::move(lines)));
              }),
      ErrorCode::kTotalOutOfRange, "lines");
}

TEST_CASE("Codec: tenders", "[protocol]") {
  auto tender = [](const std::string& type, int64_t amount) {
    return Value::object({{"type", Value::string(type)}, {"amount", Value::integer(amount)}});
  };
  expectCommitError(mutated(kCommit,
                            [&](Value& v) {
                              std::vector<Value> tenders(kMaxTenders + 1, tender("cash", 1));
                              set(v, "tenders", Value::array(std::move(tenders)));
                            }),
                    ErrorCode::kTooManyLines, "tenders");
  expectCommitError(
      mutated(kCommit, [&](Value& v) { set(v, "tenders", Value::array({tender("", 1)})); }),
      ErrorCode::kInvalidValue, "tenders[0].type");
  expectCommitError(
      mutated(
          kCommit,
          [&](Value& v) {
            set(v, "tenders", Value::array({tender("cash", 1), tender(std::string(129, 'c'), 1)}));
          }),
      ErrorCode::kInvalidValue, "tenders[1].type");
  expectCommitError(
      mutated(kCommit, [&](Value& v) { set(v, "tenders", Value::array({tender("ca\nsh", 1)})); }),
      ErrorCode::kInvalidValue, "tenders[0].type");
  expectCommitError(
      mutated(kCommit, [&](Value& v) { set(v, "tenders", Value::array({tender("cash", -1)})); }),
      ErrorCode::kValueOutOfRange, "tenders[0].amount");
  expectCommitError(mutated(kCommit,
                            [&](Value& v) {
                              set(v, "tenders",
                                  Value::array({tender("cash", kMaxBasketTotal / 2 + 1),
                                                tender("card", kMaxBasketTotal / 2)}));
                            }),
                    ErrorCode::kTotalOutOfRange, "tenders");
  expectCommitError(
      mutated(kCommit, [&](Value& v) { set(v, "tenders", Value::array({Value::string("cash")})); }),
      ErrorCode::kWrongType, "tenders[0]");
  // The type length counts characters, not bytes: 128 two-byte characters are allowed.
  std::string accented;
  for (int i = 0; i < 128; ++i) {
    accented += "\xC3\xA9";
  }
  auto ok = decodeCommitRequest(
      mutated(kCommit, [&](Value& v) { set(v, "tenders", Value::array({tender(accented, 5)})); }));
  REQUIRE(ok.ok());
  CHECK(ok->tenders[0].type == accented);
}

TEST_CASE("Codec: presented coupon codes", "[protocol]") {
  auto decode = [](std::string_view b) { return decodePriceRequest(b); };
  expectError(decode,
              mutated(kPrice,
                      [](Value& v) {
                        std::vector<Value> codes;
                        for (size_t i = 0; i <= kMaxCouponCodes; ++i) {
                          codes.push_back(Value::string("C" + std::to_string(i)));
                        }
                        set(v, "coupons", Value::array(std::move(codes)));
                      }),
              ErrorCode::kTooManyLines, "coupons");
  expectError(
      decode,
      mutated(kPrice, [](Value& v) { set(v, "coupons", Value::array({Value::integer(5)})); }),
      ErrorCode::kWrongType, "coupons[0]");
  expectError(
      decode,
      mutated(kPrice,
              [](Value& v) {
                set(v, "coupons", Value::array({Value::string("OK"), Value::string("NO PE")}));
              }),
      ErrorCode::kInvalidValue, "coupons[1]");
  expectError(
      decode,
      mutated(kPrice, [](Value& v) { set(v, "coupons", Value::array({Value::string("")})); }),
      ErrorCode::kInvalidValue, "coupons[0]");
  expectError(decode,
              mutated(kPrice,
                      [](Value& v) {
                        set(v, "coupons", Value::array({Value::string(std::string(161, 'Z'))}));
                      }),
              ErrorCode::kInvalidValue, "coupons[0]");
  expectError(decode, mutated(kPrice, [](Value& v) { set(v, "tenders", Value::array()); }),
              ErrorCode::kUnknownField, "tenders");
  expectError(decode,
              mutated(kPrice, [](Value& v) { set(line(v, 0), "quantity", Value::integer(0)); }),
              ErrorCode::kValueOutOfRange, "lines[0].quantity");
}

TEST_CASE("Codec: refund requests", "[protocol]") {
  auto decode = [](std::string_view b) { return decodeRefundRequest(b); };
  auto original = [](Value& v) -> Value& { return *member(v, "original"); };
  expectError(decode, mutated(kRefund, [](Value& v) { erase(v, "original"); }),
              ErrorCode::kMissingField, "original");
  expectError(decode,
              mutated(kRefund, [](Value& v) { set(v, "original", Value::string("S042/T03")); }),
              ErrorCode::kWrongType, "original");
  expectError(decode, mutated(kRefund, [&](Value& v) { erase(original(v), "txn"); }),
              ErrorCode::kMissingField, "original.txn");
  expectError(decode,
              mutated(kRefund, [&](Value& v) { set(original(v), "sale_id", Value::integer(5)); }),
              ErrorCode::kUnknownField, "original.sale_id");
  expectError(
      decode,
      mutated(kRefund,
              [&](Value& v) { set(original(v), "business_date", Value::string("2024-02-31")); }),
      ErrorCode::kInvalidValue, "original.business_date");
  expectError(decode,
              mutated(kRefund, [&](Value& v) { set(original(v), "store", Value::string("")); }),
              ErrorCode::kInvalidValue, "original.store");
  expectError(decode, mutated(kRefund, [](Value& v) { set(v, "card", Value::string(kCard)); }),
              ErrorCode::kUnknownField, "card");
  expectError(decode, mutated(kRefund, [](Value& v) { set(v, "lines", Value::array()); }),
              ErrorCode::kInvalidValue, "lines");
  expectError(decode,
              mutated(kRefund,
                      [](Value& v) {
                        std::vector<Value> lines;
                        for (int i = 1; i <= static_cast<int>(kMaxLines) + 1; ++i) {
                          lines.push_back(Value::object(
                              {{"line", Value::integer(i)}, {"quantity", Value::integer(1)}}));
                        }
                        set(v, "lines", Value::array(std::move(lines)));
                      }),
              ErrorCode::kTooManyLines, "lines");
  auto refundLine = [](int64_t number, int64_t quantity) {
    return Value::object(
        {{"line", Value::integer(number)}, {"quantity", Value::integer(quantity)}});
  };
  expectError(decode,
              mutated(kRefund,
                      [&](Value& v) {
                        set(v, "lines", Value::array({refundLine(2, 1), refundLine(2, 1)}));
                      }),
              ErrorCode::kDuplicateLine, "lines[1].line");
  expectError(
      decode,
      mutated(kRefund, [&](Value& v) { set(v, "lines", Value::array({refundLine(0, 1)})); }),
      ErrorCode::kValueOutOfRange, "lines[0].line");
  expectError(
      decode,
      mutated(kRefund, [&](Value& v) { set(v, "lines", Value::array({refundLine(1, 0)})); }),
      ErrorCode::kValueOutOfRange, "lines[0].quantity");
  expectError(
      decode,
      mutated(kRefund,
              [&](Value& v) { set(v, "lines", Value::array({refundLine(1, kMaxQuantity + 1)})); }),
      ErrorCode::kValueOutOfRange, "lines[0].quantity");
  expectError(
      decode,
      mutated(kRefund, [](Value& v) { set(line(v, 0), "unit_price", Value::integer(100)); }),
      ErrorCode::kUnknownField, "lines[0].unit_price");
}

TEST_CASE("Codec: identify requests", "[protocol]") {
  auto decode = [](std::string_view b) { return decodeIdentifyRequest(b); };
  expectError(decode, R"({"card":"9000012345675","store":"S042"})", ErrorCode::kMissingField,
              "terminal");
  expectError(decode, R"({"card":"9000012345675","store":"S042","terminal":"T 3"})",
              ErrorCode::kInvalidValue, "terminal");
  expectError(decode, R"({"card":"9000012345675","store":"S042","terminal":"T3","txn":"1"})",
              ErrorCode::kUnknownField, "txn");
  expectError(decode, "null", ErrorCode::kWrongType, "");
}

// ---------------------------------------------------------------------------------------------
// Encoding and round trips

TEST_CASE("Codec: encoders write the documented field order", "[protocol]") {
  IdentifyRequest identify{kCard, "S042", "T03"};
  CHECK(encode(identify) == R"({"card":"9000012345675","store":"S042","terminal":"T03"})");

  CommitRequest commit;
  commit.key = key("000123");
  commit.card = kCard;
  commit.lines.push_back(BasketLine{1, "4006381333931", 2, Money(149)});
  commit.tenders.push_back(Tender{"cash", Money(298)});
  CHECK(encode(commit) ==
        R"({"store":"S042","terminal":"T03","business_date":"2024-03-15","txn":"000123",)"
        R"("card":"9000012345675","lines":[{"line":1,"sku":"4006381333931","quantity":2,)"
        R"("unit_price":149}],"tenders":[{"type":"cash","amount":298}]})");

  RefundRequest refund;
  refund.key = TransactionKey{"S042", "T01", "2024-03-16", "000007"};
  refund.original = key("000123");
  refund.lines.push_back(RefundLine{1, 1});
  CHECK(encode(refund) ==
        R"({"store":"S042","terminal":"T01","business_date":"2024-03-16","txn":"000007",)"
        R"("original":{"store":"S042","terminal":"T03","business_date":"2024-03-15",)"
        R"("txn":"000123"},"lines":[{"line":1,"quantity":1}]})");

  CommitResponse queued;
  queued.status = kStatusQueued;
  queued.total = Money(298);
  queued.receipt = {"Points will be added to your card"};
  CHECK(encode(queued) ==
        R"({"status":"queued","total":298,"receipt":["Points will be added to your card"],)"
        R"("coupons":[],"discounts":[]})");

  CommitResponse committed = queued;
  committed.status = kStatusCommitted;
  committed.saleId = 981;
  committed.pointsEarned = Points(2);
  committed.pointsBalance = Points(140);
  committed.receipt = {"Points earned: 2", "Points balance: 140"};
  CHECK(encode(committed) ==
        R"({"status":"committed","sale_id":981,"total":298,"points_earned":2,)"
        R"("points_balance":140,"receipt":["Points earned: 2","Points balance: 140"],)"
        R"("coupons":[],"discounts":[]})");
}

TEST_CASE("Codec: every message round trips", "[protocol]") {
  // encode -> decode -> encode gives the same bytes, and the decoded fields are the originals.
  IdentifyRequest identify{kCard, "S042", "T03"};
  auto identifyBack = decodeIdentifyRequest(encode(identify));
  REQUIRE(identifyBack.ok());
  CHECK(encode(identifyBack.value()) == encode(identify));

  PriceRequest price;
  price.key = key("P1");
  price.card = kCard;
  price.lines = {BasketLine{1, "A", 1, Money(100)}, BasketLine{7, "B", 3, Money(0)}};
  price.coupons = {"WELCOME5", "X-1"};
  auto priceBack = decodePriceRequest(encode(price));
  REQUIRE(priceBack.ok());
  CHECK(encode(priceBack.value()) == encode(price));
  CHECK(priceBack->lines[1].line == 7);
  CHECK(priceBack->coupons == price.coupons);

  CommitRequest commit;
  commit.key = key("C1");
  commit.card = kCard;
  commit.lines = {BasketLine{1, "A", 2, Money(150)}};
  commit.tenders = {Tender{"cash", Money(200)}, Tender{"voucher \xE2\x82\xAC", Money(100)}};
  auto commitBack = decodeCommitRequest(encode(commit));
  REQUIRE(commitBack.ok());
  CHECK(encode(commitBack.value()) == encode(commit));
  CHECK(commitBack->tenders[1].type == commit.tenders[1].type);

  RefundRequest refund;
  refund.key = key("R1");
  refund.original = key("C1");
  refund.lines = {RefundLine{1, 1}, RefundLine{3, 2}};
  auto refundBack = decodeRefundRequest(encode(refund));
  REQUIRE(refundBack.ok());
  CHECK(encode(refundBack.value()) == encode(refund));
  CHECK(refundBack->original == refund.original);

  IdentifyResponse identified;
  identified.customerId = 17;
  identified.newCustomer = true;
  identified.tier = "base";
  identified.pointsBalance = Points(0);
  identified.coupons = 2;
  auto identifiedBack = decodeIdentifyResponse(encode(identified));
  REQUIRE(identifiedBack.ok());
  CHECK(encode(identifiedBack.value()) == encode(identified));
  CHECK(identifiedBack->pointsBalance == Points(0));

  PriceResponse priced;
  priced.subtotal = Money(561);
  priced.discounts = {DiscountLine{2, Money(50), kDiscountCoupon, "Banana promo", "CPN-9"}};
  priced.total = Money(511);
  priced.pointsPreview = Points(5);
  priced.coupons = {
      CouponDecision{"WELCOME5", false, "coupon_unknown", "Unknown coupon", Money(0), Points(0)}};
  auto pricedBack = decodePriceResponse(encode(priced));
  REQUIRE(pricedBack.ok());
  CHECK(encode(pricedBack.value()) == encode(priced));
  CHECK(pricedBack->coupons[0].reason == "coupon_unknown");

  CommitResponse committed;
  committed.status = kStatusCommitted;
  committed.saleId = 981;
  committed.total = Money(561);
  committed.pointsEarned = Points(5);
  committed.pointsBalance = Points(145);
  committed.receipt = {"Points earned: 5", "Balance: 145"};
  committed.coupons = {PrintedCoupon{"CPN-1", "0.50 off bananas", "2024-04-15"}};
  auto committedBack = decodeCommitResponse(encode(committed));
  REQUIRE(committedBack.ok());
  CHECK(encode(committedBack.value()) == encode(committed));
  CHECK(committedBack->saleId == 981);

  RefundResponse refunded;
  refunded.status = kStatusCommitted;
  refunded.refundId = 12;
  refunded.amountRefunded = Money(263);
  refunded.pointsReversed = Points(3);
  refunded.pointsBalance = Points(142);
  refunded.receipt = {"Points reversed: 3"};
  auto refundedBack = decodeRefundResponse(encode(refunded));
  REQUIRE(refundedBack.ok());
  CHECK(encode(refundedBack.value()) == encode(refunded));

  CustomerHistory history;
  history.customerId = 17;
  history.tier = "base";
  history.pointsBalance = Points(142);
  history.enrolledAtMs = 1710489600000;
  HistorySale sale;
  sale.saleId = 981;
  sale.key = key("000123");
  sale.total = Money(561);
  sale.pointsEarned = Points(5);
  sale.createdAtMs = 1710500000000;
  sale.lines = {HistoryLine{1, "A", 2, Money(149), 0}, HistoryLine{2, "B", 1, Money(263), 1}};
  history.sales = {sale};
  history.ledger = {HistoryLedgerEntry{1, "earn", Points(5), 981, std::nullopt, 1710500000000},
                    HistoryLedgerEntry{2, "refund", Points(-3), 981, 12, 1710600000000}};
  auto historyBack = decodeCustomerHistory(encode(history));
  REQUIRE(historyBack.ok());
  CHECK(encode(historyBack.value()) == encode(history));
  CHECK(historyBack->sales[0].key == sale.key);
  CHECK(historyBack->ledger[1].points == Points(-3));
  CHECK_FALSE(historyBack->ledger[0].refundId.has_value());

  CatalogueImportResponse imported{11997};
  auto importedBack = decodeCatalogueImportResponse(encode(imported));
  REQUIRE(importedBack.ok());
  CHECK(importedBack->imported == 11997);

  AgentStatus status{3, 120, 1, true};
  auto statusBack = decodeAgentStatus(encode(status));
  REQUIRE(statusBack.ok());
  CHECK(encode(statusBack.value()) == encode(status));
  CHECK(statusBack->coreReachable);

  ErrorBody error{"urn:loyalty:error:timeout", "Timed out", 504, "timeout", "core", "r-1"};
  auto errorBack = decodeErrorBody(encode(error));
  REQUIRE(errorBack.ok());
  CHECK(encode(errorBack.value()) == encode(error));
}

TEST_CASE("Codec: optional response fields and forward compatibility", "[protocol]") {
  // Offline identify: no balance.
  auto offline = decodeIdentifyResponse(
      R"({"customer_id":0,"new_customer":false,"tier":"unknown","coupons":0,"offline":true})");
  REQUIRE(offline.ok());
  CHECK_FALSE(offline->pointsBalance.has_value());
  CHECK(offline->offline);
  CHECK(encode(offline.value()).find("points_balance") == std::string::npos);

  // Responses ignore unknown fields and accept null for optional ones.
  auto future = decodeIdentifyResponse(
      R"({"customer_id":5,"new_customer":false,"tier":"gold","points_balance":null,)"
      R"("coupons":1,"offline":false,"nickname":"x","badges":[1,2]})");
  REQUIRE(future.ok());
  CHECK(future->customerId == 5);
  CHECK_FALSE(future->pointsBalance.has_value());

  // Queued commit: no sale id or points.
  auto queued = decodeCommitResponse(
      R"({"status":"queued","total":561,"receipt":["Points will be added to your card"],)"
      R"("coupons":[]})");
  REQUIRE(queued.ok());
  CHECK(queued->status == kStatusQueued);
  CHECK_FALSE(queued->saleId.has_value());
  CHECK_FALSE(queued->pointsEarned.has_value());
  CHECK_FALSE(queued->pointsBalance.has_value());

  auto queuedRefund =
      decodeRefundResponse(R"({"status":"queued","amount_refunded":263,"receipt":[]})");
  REQUIRE(queuedRefund.ok());
  CHECK_FALSE(queuedRefund->refundId.has_value());

  auto offlinePrice = decodePriceResponse(
      R"({"subtotal":561,"discounts":[],"total":561,"coupons":)"
      R"([{"code":"C1","accepted":false,"reason":"offline_unverified"}],"offline":true})");
  REQUIRE(offlinePrice.ok());
  CHECK_FALSE(offlinePrice->pointsPreview.has_value());
  CHECK(offlinePrice->coupons[0].reason == "offline_unverified");

  // Responses still check required fields and types.
  expectError([](std::string_view b) { return decodeIdentifyResponse(b); },
              R"({"customer_id":"5","new_customer":false,"tier":"t","coupons":0,"offline":false})",
              ErrorCode::kWrongType, "customer_id");
  expectError([](std::string_view b) { return decodeCommitResponse(b); },
              R"({"status":"committed","total":1,"coupons":[]})", ErrorCode::kMissingField,
              "receipt");
  expectError([](std::string_view b) { return decodeCommitResponse(b); },
              R"({"status":"committed","total":1,"receipt":[3],"coupons":[]})",
              ErrorCode::kWrongType, "receipt[0]");
  expectError([](std::string_view b) { return decodeAgentStatus(b); },
              R"({"outbox_pending":0,"delivered":0,"dead_letters":0,"core_reachable":1})",
              ErrorCode::kWrongType, "core_reachable");
  expectError([](std::string_view b) { return decodeCustomerHistory(b); },
              R"({"customer_id":1,"tier":"base","points_balance":0,"enrolled_at_ms":0,)"
              R"("sales":[{"sale_id":1,"store":"S","terminal":"T","business_date":"2024-01-01",)"
              R"("txn":"1","total":1,"points_earned":0,"created_at_ms":0,"lines":[{"line":1}]}],)"
              R"("ledger":[]})",
              ErrorCode::kMissingField, "sales[0].lines[0].sku");
}

// ---------------------------------------------------------------------------------------------
// Fingerprints

TEST_CASE("Codec: fingerprint ignores formatting and sees content", "[protocol]") {
  auto a = decodeCommitRequest(kCommit);
  // Same content: compact, members in another order, escapes instead of raw characters.
  auto b = decodeCommitRequest(
      R"({"lines":[{"unit_price":149,"quantity":2,"sku":"4006381333931","line":1},)"
      R"({"line":2,"sku":"BANANA\u002DKG","quantity":1,"unit_price":263}],)"
      R"("tenders":[{"amount":561,"type":"card"}],"txn":"000123","card":"9000012345675",)"
      R"("business_date":"2024-03-15","terminal":"T03","store":"S042"})");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(fingerprint(a.value()) == fingerprint(b.value()));

  auto c = decodeCommitRequest(
      mutated(kCommit, [](Value& v) { set(line(v, 1), "quantity", Value::integer(2)); }));
  REQUIRE(c.ok());
  CHECK(fingerprint(a.value()) != fingerprint(c.value()));

  // Absent and empty optional arrays are the same request.
  auto noTenders = decodeCommitRequest(mutated(kCommit, [](Value& v) { erase(v, "tenders"); }));
  auto emptyTenders =
      decodeCommitRequest(mutated(kCommit, [](Value& v) { set(v, "tenders", Value::array()); }));
  REQUIRE(noTenders.ok());
  REQUIRE(emptyTenders.ok());
  CHECK(fingerprint(noTenders.value()) == fingerprint(emptyTenders.value()));
  CHECK(fingerprint(noTenders.value()) != fingerprint(a.value()));

  // FNV-1a 64 of the canonical encoding.
  uint64_t expected = 14695981039346656037ULL;
  for (const char ch : encode(a.value())) {
    expected ^= static_cast<unsigned char>(ch);
    expected *= 1099511628211ULL;
  }
  CHECK(fingerprint(a.value()) == expected);

  auto r1 = decodeRefundRequest(kRefund);
  auto r2 = decodeRefundRequest(
      mutated(kRefund, [](Value& v) { set(line(v, 0), "quantity", Value::integer(2)); }));
  REQUIRE(r1.ok());
  REQUIRE(r2.ok());
  CHECK(fingerprint(r1.value()) != fingerprint(r2.value()));
  CHECK(fingerprint(r1.value()) == fingerprint(decodeRefundRequest(encode(r1.value())).value()));
}

// ---------------------------------------------------------------------------------------------
// Coupons, points tender, void and offers

namespace {

void expectPriceError(const std::string& body, ErrorCode code, const std::string& path) {
  expectError([](std::string_view b) { return decodePriceRequest(b); }, body, code, path);
}

void expectVoidError(const std::string& body, ErrorCode code, const std::string& path) {
  expectError([](std::string_view b) { return decodeVoidRequest(b); }, body, code, path);
}

// decodeReward of a JSON text, under the path "reward".
loyalty::base::Result<loyalty::offers::Reward> rewardOf(std::string_view text) {
  return decodeReward(parsed(text), "reward");
}

void expectRewardError(std::string_view text, ErrorCode code, const std::string& path) {
  INFO("reward: " << text);
  const auto r = rewardOf(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == code);
  INFO("message: " << r.error().message);
  CHECK(r.error().message.rfind(path + ":", 0) == 0);
}

std::string rewardJson(const loyalty::offers::Reward& reward) {
  json::Writer w;
  encodeReward(w, reward);
  return w.take();
}

const char* const kVoid =
    R"({"store":"S042","terminal":"T03","business_date":"2024-03-15","txn":"000123"})";

}  // namespace

TEST_CASE("Codec: redeem_points in price and commit requests", "[protocol][coupon]") {
  auto price = decodePriceRequest(
      mutated(kPrice, [](Value& v) { set(v, "redeem_points", Value::integer(500)); }));
  REQUIRE(price.ok());
  REQUIRE(price->redeemPoints.has_value());
  CHECK(*price->redeemPoints == Points(500));
  auto none = decodePriceRequest(kPrice);
  REQUIRE(none.ok());
  CHECK_FALSE(none->redeemPoints.has_value());
  CHECK(encode(none.value()).find("redeem_points") == std::string::npos);

  auto atMax = decodeCommitRequest(mutated(
      kCommit, [](Value& v) { set(v, "redeem_points", Value::integer(kMaxRedeemPoints)); }));
  REQUIRE(atMax.ok());
  CHECK(*atMax->redeemPoints == Points(kMaxRedeemPoints));
  auto one = decodeCommitRequest(
      mutated(kCommit, [](Value& v) { set(v, "redeem_points", Value::integer(1)); }));
  REQUIRE(one.ok());

  for (const int64_t bad : {int64_t{0}, int64_t{-1}, kMaxRedeemPoints + 1}) {
    expectPriceError(
        mutated(kPrice, [&](Value& v) { set(v, "redeem_points", Value::integer(bad)); }),
        ErrorCode::kValueOutOfRange, "redeem_points");
    expectCommitError(
        mutated(kCommit, [&](Value& v) { set(v, "redeem_points", Value::integer(bad)); }),
        ErrorCode::kValueOutOfRange, "redeem_points");
  }
  expectPriceError(
      mutated(kPrice, [](Value& v) { set(v, "redeem_points", Value::string("500")); }),
      ErrorCode::kWrongType, "redeem_points");
  expectPriceError(mutated(kPrice, [](Value& v) { set(v, "redeem_points", Value::null()); }),
                   ErrorCode::kWrongType, "redeem_points");
  expectCommitError(mutated(kCommit, [](Value& v) { set(v, "redeem_points", Value::number(1.5)); }),
                    ErrorCode::kWrongType, "redeem_points");
}

TEST_CASE("Codec: coupons and offline_coupons in a commit request", "[protocol][coupon]") {
  auto commit = decodeCommitRequest(mutated(kCommit, [](Value& v) {
    set(v, "coupons", Value::array({Value::string("LC1AAA"), Value::string("WELCOME5")}));
    set(v, "offline_coupons", Value::boolean(true));
  }));
  REQUIRE(commit.ok());
  CHECK(commit->coupons == std::vector<std::string>{"LC1AAA", "WELCOME5"});
  CHECK(commit->offlineCoupons);

  auto plain = decodeCommitRequest(kCommit);
  REQUIRE(plain.ok());
  CHECK(plain->coupons.empty());
  CHECK_FALSE(plain->offlineCoupons);

  // false is accepted and is the same request as absent.
  auto explicitFalse = decodeCommitRequest(
      mutated(kCommit, [](Value& v) { set(v, "offline_coupons", Value::boolean(false)); }));
  REQUIRE(explicitFalse.ok());
  CHECK_FALSE(explicitFalse->offlineCoupons);
  CHECK(encode(explicitFalse.value()) == encode(plain.value()));

  // The same rules as the coupons of a price request.
  expectCommitError(mutated(kCommit,
                            [](Value& v) {
                              std::vector<Value> codes;
                              for (size_t i = 0; i <= kMaxCouponCodes; ++i) {
                                codes.push_back(Value::string("C" + std::to_string(i)));
                              }
                              set(v, "coupons", Value::array(std::move(codes)));
                            }),
                    ErrorCode::kTooManyLines, "coupons");
  expectCommitError(
      mutated(kCommit, [](Value& v) { set(v, "coupons", Value::array({Value::integer(1)})); }),
      ErrorCode::kWrongType, "coupons[0]");
  expectCommitError(
      mutated(kCommit,
              [](Value& v) {
                set(v, "coupons", Value::array({Value::string("A"), Value::string("B\tC")}));
              }),
      ErrorCode::kInvalidValue, "coupons[1]");
  expectCommitError(
      mutated(kCommit, [](Value& v) { set(v, "coupons", Value::array({Value::string("")})); }),
      ErrorCode::kInvalidValue, "coupons[0]");
  expectCommitError(mutated(kCommit,
                            [](Value& v) {
                              set(v, "coupons",
                                  Value::array({Value::string(
                                      std::string(kMaxCouponCodeLength + 1, 'Z'))}));
                            }),
                    ErrorCode::kInvalidValue, "coupons[0]");
  auto longest = decodeCommitRequest(mutated(kCommit, [](Value& v) {
    set(v, "coupons", Value::array({Value::string(std::string(kMaxCouponCodeLength, 'Z'))}));
  }));
  CHECK(longest.ok());
  expectCommitError(mutated(kCommit, [](Value& v) { set(v, "coupons", Value::string("C1")); }),
                    ErrorCode::kWrongType, "coupons");
  expectCommitError(
      mutated(kCommit, [](Value& v) { set(v, "offline_coupons", Value::string("true")); }),
      ErrorCode::kWrongType, "offline_coupons");
  expectCommitError(
      mutated(kCommit, [](Value& v) { set(v, "offline_coupons", Value::integer(1)); }),
      ErrorCode::kWrongType, "offline_coupons");
  // Unknown fields are still refused; a price request has no offline_coupons.
  expectCommitError(mutated(kCommit, [](Value& v) { set(v, "redeem", Value::integer(1)); }),
                    ErrorCode::kUnknownField, "redeem");
  expectPriceError(
      mutated(kPrice, [](Value& v) { set(v, "offline_coupons", Value::boolean(true)); }),
      ErrorCode::kUnknownField, "offline_coupons");
}

TEST_CASE("Codec: new request fields in documented order", "[protocol][coupon]") {
  PriceRequest price;
  price.key = key("000123");
  price.card = kCard;
  price.lines = {BasketLine{1, "P1", 1, Money(100)}};
  price.coupons = {"C1"};
  price.redeemPoints = Points(250);
  CHECK(encode(price) ==
        R"({"store":"S042","terminal":"T03","business_date":"2024-03-15","txn":"000123",)"
        R"("card":"9000012345675","lines":[{"line":1,"sku":"P1","quantity":1,"unit_price":100}],)"
        R"("coupons":["C1"],"redeem_points":250})");

  CommitRequest commit;
  commit.key = key("000123");
  commit.card = kCard;
  commit.lines = {BasketLine{1, "P1", 1, Money(100)}};
  commit.tenders = {Tender{"cash", Money(50)}};
  commit.coupons = {"C1", "C2"};
  commit.redeemPoints = Points(250);
  commit.offlineCoupons = true;
  CHECK(encode(commit) ==
        R"({"store":"S042","terminal":"T03","business_date":"2024-03-15","txn":"000123",)"
        R"("card":"9000012345675","lines":[{"line":1,"sku":"P1","quantity":1,"unit_price":100}],)"
        R"("tenders":[{"type":"cash","amount":50}],"coupons":["C1","C2"],"redeem_points":250,)"
        R"("offline_coupons":true})");
  auto back = decodeCommitRequest(encode(commit));
  REQUIRE(back.ok());
  CHECK(encode(back.value()) == encode(commit));
  CHECK(back->coupons == commit.coupons);
  CHECK(back->redeemPoints == commit.redeemPoints);
  CHECK(back->offlineCoupons);

  VoidRequest voided{key("000123")};
  CHECK(encode(voided) == kVoid);
}

TEST_CASE("Codec: void requests", "[protocol][coupon]") {
  auto voided = decodeVoidRequest(kVoid);
  REQUIRE(voided.ok());
  CHECK(voided->key == key("000123"));
  CHECK(encode(voided.value()) == kVoid);

  expectVoidError(mutated(kVoid, [](Value& v) { erase(v, "txn"); }), ErrorCode::kMissingField,
                  "txn");
  expectVoidError(mutated(kVoid, [](Value& v) { erase(v, "store"); }), ErrorCode::kMissingField,
                  "store");
  expectVoidError(mutated(kVoid, [](Value& v) { set(v, "card", Value::string(kCard)); }),
                  ErrorCode::kUnknownField, "card");
  expectVoidError(mutated(kVoid, [](Value& v) { set(v, "terminal", Value::string("T 3")); }),
                  ErrorCode::kInvalidValue, "terminal");
  expectVoidError(
      mutated(kVoid, [](Value& v) { set(v, "business_date", Value::string("2024-02-30")); }),
      ErrorCode::kInvalidValue, "business_date");
  expectVoidError(mutated(kVoid, [](Value& v) { set(v, "txn", Value::integer(123)); }),
                  ErrorCode::kWrongType, "txn");
  expectVoidError("[]", ErrorCode::kWrongType, "");
  expectVoidError("{", ErrorCode::kMalformedJson, "");
}

TEST_CASE("Codec: new response fields round trip", "[protocol][coupon]") {
  PriceResponse priced;
  priced.subtotal = Money(1000);
  priced.discounts = {DiscountLine{1, Money(150), kDiscountCoupon, "1.50 off P12", "LC1X"},
                      DiscountLine{0, Money(200), kDiscountPoints, "Points: 400", ""}};
  priced.total = Money(650);
  priced.pointsPreview = Points(6);
  priced.coupons = {
      CouponDecision{"LC1X", true, "", "1.50 off P12", Money(150), Points(0)},
      CouponDecision{"LC1Y", true, "", "50 bonus points", Money(0), Points(50)},
      CouponDecision{"LC1Z", false, "coupon_expired", "This coupon has expired", Money(0),
                     Points(0)}};
  priced.pointsRedeemed = Points(400);
  const std::string pricedJson = encode(priced);
  CHECK(pricedJson ==
        R"({"subtotal":1000,"discounts":[{"line":1,"amount":150,"kind":"coupon",)"
        R"("description":"1.50 off P12","coupon":"LC1X"},{"line":0,"amount":200,)"
        R"("kind":"points","description":"Points: 400","coupon":""}],"total":650,)"
        R"("points_preview":6,"coupons":[{"code":"LC1X","accepted":true,"reason":"",)"
        R"("message":"1.50 off P12","discount":150,"bonus_points":0},{"code":"LC1Y",)"
        R"("accepted":true,"reason":"","message":"50 bonus points","discount":0,)"
        R"("bonus_points":50},{"code":"LC1Z","accepted":false,"reason":"coupon_expired",)"
        R"("message":"This coupon has expired","discount":0,"bonus_points":0}],)"
        R"("points_redeemed":400,"offline":false})");
  auto pricedBack = decodePriceResponse(pricedJson);
  REQUIRE(pricedBack.ok());
  CHECK(encode(pricedBack.value()) == pricedJson);
  CHECK(pricedBack->discounts[1].kind == kDiscountPoints);
  CHECK(pricedBack->coupons[1].bonusPoints == Points(50));
  CHECK(pricedBack->coupons[0].discount == Money(150));
  CHECK(pricedBack->coupons[2].message == "This coupon has expired");
  CHECK(pricedBack->pointsRedeemed == Points(400));

  CommitResponse committed;
  committed.status = kStatusCommitted;
  committed.saleId = 5;
  committed.total = Money(650);
  committed.pointsEarned = Points(6);
  committed.pointsBalance = Points(106);
  committed.receipt = {"Coupon: 1.50 off P12"};
  committed.discounts = priced.discounts;
  committed.pointsRedeemed = Points(400);
  const std::string committedJson = encode(committed);
  CHECK(committedJson.find(R"("coupons":[],"discounts":[{"line":1,)") != std::string::npos);
  CHECK(committedJson.find(R"(,"points_redeemed":400})") != std::string::npos);
  auto committedBack = decodeCommitResponse(committedJson);
  REQUIRE(committedBack.ok());
  CHECK(encode(committedBack.value()) == committedJson);
  CHECK(committedBack->discounts.size() == 2);
  CHECK(committedBack->pointsRedeemed == Points(400));

  RefundResponse refunded;
  refunded.status = kStatusCommitted;
  refunded.refundId = 3;
  refunded.amountRefunded = Money(650);
  refunded.pointsReversed = Points(6);
  refunded.pointsReturned = Points(400);
  refunded.pointsBalance = Points(500);
  refunded.couponsReturned = 2;
  refunded.receipt = {"Points returned: 400"};
  const std::string refundedJson = encode(refunded);
  CHECK(refundedJson ==
        R"({"status":"committed","refund_id":3,"amount_refunded":650,"points_reversed":6,)"
        R"("points_returned":400,"points_balance":500,"coupons_returned":2,)"
        R"("receipt":["Points returned: 400"]})");
  auto refundedBack = decodeRefundResponse(refundedJson);
  REQUIRE(refundedBack.ok());
  CHECK(encode(refundedBack.value()) == refundedJson);
  CHECK(refundedBack->couponsReturned == 2);
  CHECK(refundedBack->pointsReturned == Points(400));

  // Absent optional values stay absent.
  RefundResponse queued;
  queued.status = kStatusQueued;
  queued.amountRefunded = Money(1);
  CHECK(encode(queued) ==
        R"({"status":"queued","amount_refunded":1,"coupons_returned":0,"receipt":[]})");

  VoidResponse released{3};
  CHECK(encode(released) == R"({"released":3})");
  auto releasedBack = decodeVoidResponse(encode(released));
  REQUIRE(releasedBack.ok());
  CHECK(releasedBack->released == 3);
  expectError([](std::string_view b) { return decodeVoidResponse(b); }, R"({"released":"3"})",
              ErrorCode::kWrongType, "released");
  expectError([](std::string_view b) { return decodeVoidResponse(b); }, R"({})",
              ErrorCode::kMissingField, "released");
}

TEST_CASE("Codec: responses from an older core decode with defaults", "[protocol][coupon]") {
  auto price = decodePriceResponse(
      R"({"subtotal":561,"discounts":[{"line":2,"amount":50,"description":"d","coupon":"C"}],)"
      R"("total":511,"coupons":[{"code":"C","accepted":true,"reason":""}],"offline":false})");
  REQUIRE(price.ok());
  CHECK(price->discounts[0].kind.empty());
  CHECK(price->coupons[0].message.empty());
  CHECK(price->coupons[0].discount == Money(0));
  CHECK(price->coupons[0].bonusPoints == Points(0));
  CHECK_FALSE(price->pointsRedeemed.has_value());

  auto commit = decodeCommitResponse(
      R"({"status":"committed","sale_id":1,"total":1,"receipt":[],"coupons":[]})");
  REQUIRE(commit.ok());
  CHECK(commit->discounts.empty());
  CHECK_FALSE(commit->pointsRedeemed.has_value());

  auto refund = decodeRefundResponse(
      R"({"status":"committed","refund_id":1,"amount_refunded":1,"points_returned":null,)"
      R"("receipt":[]})");
  REQUIRE(refund.ok());
  CHECK(refund->couponsReturned == 0);
  CHECK_FALSE(refund->pointsReturned.has_value());

  // Present new fields still have their types checked.
  expectError([](std::string_view b) { return decodePriceResponse(b); },
              R"({"subtotal":1,"discounts":[{"line":1,"amount":1,"kind":7,"description":"d",)"
              R"("coupon":""}],"total":0,"coupons":[],"offline":false})",
              ErrorCode::kWrongType, "discounts[0].kind");
  expectError([](std::string_view b) { return decodePriceResponse(b); },
              R"({"subtotal":1,"discounts":[],"total":1,"coupons":[{"code":"C","accepted":true,)"
              R"("reason":"","discount":"1"}],"offline":false})",
              ErrorCode::kWrongType, "coupons[0].discount");
  expectError([](std::string_view b) { return decodePriceResponse(b); },
              R"({"subtotal":1,"discounts":[],"total":1,"coupons":[],"points_redeemed":"5",)"
              R"("offline":false})",
              ErrorCode::kWrongType, "points_redeemed");
  expectError([](std::string_view b) { return decodeCommitResponse(b); },
              R"({"status":"committed","total":1,"receipt":[],"coupons":[],"discounts":{}})",
              ErrorCode::kWrongType, "discounts");
  expectError([](std::string_view b) { return decodeRefundResponse(b); },
              R"({"status":"committed","amount_refunded":1,"coupons_returned":true,)"
              R"("receipt":[]})",
              ErrorCode::kWrongType, "coupons_returned");
}

TEST_CASE("Codec: rewards of every kind round trip", "[protocol][coupon][reward]") {
  using loyalty::offers::Reward;
  using loyalty::offers::RewardKind;
  using loyalty::offers::TargetKind;
  const char* const texts[] = {
      R"({"kind":"amount_off","target":"sku","value":"P12","amount":150})",
      R"({"kind":"amount_off","target":"basket","amount":500,"min_spend":2000})",
      R"({"kind":"percent_off","target":"category","value":"dairy","percent":20,)"
      R"("min_quantity":2})",
      R"({"kind":"buy_x_get_y","target":"sku","value":"P7","buy_quantity":2,"get_quantity":1})",
      R"({"kind":"buy_x_get_y","target":"category","value":"snacks","buy_quantity":1,)"
      R"("get_quantity":1,"max_groups":3,"min_quantity":4,"min_spend":100})",
      R"({"kind":"bonus_points","target":"basket","points":50})",
  };
  for (const char* text : texts) {
    INFO(text);
    auto reward = rewardOf(text);
    REQUIRE(reward.ok());
    CHECK(rewardJson(reward.value()) == text);
  }
  auto buyGet = rewardOf(texts[4]);
  REQUIRE(buyGet.ok());
  CHECK(buyGet->kind == RewardKind::kBuyXGetY);
  CHECK(buyGet->target == TargetKind::kCategory);
  CHECK(buyGet->value == "snacks");
  CHECK(buyGet->buyQuantity == 1);
  CHECK(buyGet->getQuantity == 1);
  CHECK(buyGet->maxGroups == 3);
  CHECK(buyGet->minQuantity == 4);
  CHECK(buyGet->minSpend == Money(100));

  // Explicit zeros of optional fields are accepted and not written back.
  auto zeros = rewardOf(
      R"({"kind":"buy_x_get_y","target":"basket","buy_quantity":1,"get_quantity":2,)"
      R"("max_groups":0,"min_quantity":0,"min_spend":0})");
  REQUIRE(zeros.ok());
  CHECK(rewardJson(zeros.value()) ==
        R"({"kind":"buy_x_get_y","target":"basket","buy_quantity":1,"get_quantity":2})");

  // Member order on the wire does not matter.
  auto reordered = rewardOf(R"({"amount":150,"value":"P12","target":"sku","kind":"amount_off"})");
  REQUIRE(reordered.ok());
  CHECK(rewardJson(reordered.value()) == texts[0]);

  // An empty path names fields from the root.
  auto rootError = decodeReward(parsed(R"({"kind":"percent_off","target":"basket","percent":0})"),
                                "");
  REQUIRE_FALSE(rootError.ok());
  CHECK(rootError.error().message.rfind("percent:", 0) == 0);
}

TEST_CASE("Codec: every bad reward field gives its code and path", "[protocol][coupon][reward]") {
  expectRewardError(R"([1])", ErrorCode::kWrongType, "reward");
  expectRewardError(R"({"target":"sku","value":"P1","amount":1})", ErrorCode::kMissingField,
                    "reward.kind");
  expectRewardError(R"({"kind":"free_lunch","target":"sku","value":"P1"})",
                    ErrorCode::kInvalidValue, "reward.kind");
  expectRewardError(R"({"kind":3,"target":"sku","value":"P1"})", ErrorCode::kWrongType,
                    "reward.kind");
  expectRewardError(R"({"kind":"amount_off","value":"P1","amount":1})", ErrorCode::kMissingField,
                    "reward.target");
  expectRewardError(R"({"kind":"amount_off","target":"store","amount":1})",
                    ErrorCode::kInvalidValue, "reward.target");
  expectRewardError(R"({"kind":"amount_off","target":"sku","amount":1})", ErrorCode::kMissingField,
                    "reward.value");
  expectRewardError(R"({"kind":"amount_off","target":"basket","value":"","amount":1})",
                    ErrorCode::kUnknownField, "reward.value");
  expectRewardError(R"({"kind":"amount_off","target":"sku","value":"P1"})",
                    ErrorCode::kMissingField, "reward.amount");
  expectRewardError(R"({"kind":"percent_off","target":"sku","value":"P1"})",
                    ErrorCode::kMissingField, "reward.percent");
  expectRewardError(R"({"kind":"bonus_points","target":"sku","value":"P1"})",
                    ErrorCode::kMissingField, "reward.points");
  expectRewardError(R"({"kind":"buy_x_get_y","target":"sku","value":"P1","get_quantity":1})",
                    ErrorCode::kMissingField, "reward.buy_quantity");
  expectRewardError(R"({"kind":"buy_x_get_y","target":"sku","value":"P1","buy_quantity":1})",
                    ErrorCode::kMissingField, "reward.get_quantity");
  // Fields of another kind are not allowed.
  expectRewardError(R"({"kind":"amount_off","target":"sku","value":"P1","amount":1,"percent":5})",
                    ErrorCode::kUnknownField, "reward.percent");
  expectRewardError(R"({"kind":"percent_off","target":"sku","value":"P1","percent":5,)"
                    R"("max_groups":1})",
                    ErrorCode::kUnknownField, "reward.max_groups");
  expectRewardError(R"({"kind":"bonus_points","target":"sku","value":"P1","points":5,)"
                    R"("amount":0})",
                    ErrorCode::kUnknownField, "reward.amount");
  expectRewardError(R"({"kind":"amount_off","target":"sku","value":"P1","amount":1,"x":1})",
                    ErrorCode::kUnknownField, "reward.x");
  // Types and ranges.
  expectRewardError(R"({"kind":"amount_off","target":"sku","value":"P1","amount":"1"})",
                    ErrorCode::kWrongType, "reward.amount");
  expectRewardError(R"({"kind":"amount_off","target":"sku","value":7,"amount":1})",
                    ErrorCode::kWrongType, "reward.value");
  expectRewardError(R"({"kind":"amount_off","target":"sku","value":"P1","amount":0})",
                    ErrorCode::kValueOutOfRange, "reward.amount");
  expectRewardError(R"({"kind":"amount_off","target":"sku","value":"P1","amount":100000001})",
                    ErrorCode::kValueOutOfRange, "reward.amount");
  expectRewardError(R"({"kind":"percent_off","target":"sku","value":"P1","percent":101})",
                    ErrorCode::kValueOutOfRange, "reward.percent");
  expectRewardError(R"({"kind":"bonus_points","target":"basket","points":10000001})",
                    ErrorCode::kValueOutOfRange, "reward.points");
  expectRewardError(R"({"kind":"buy_x_get_y","target":"basket","buy_quantity":0,)"
                    R"("get_quantity":1})",
                    ErrorCode::kValueOutOfRange, "reward.buy_quantity");
  expectRewardError(R"({"kind":"buy_x_get_y","target":"basket","buy_quantity":1,)"
                    R"("get_quantity":101})",
                    ErrorCode::kValueOutOfRange, "reward.get_quantity");
  expectRewardError(R"({"kind":"buy_x_get_y","target":"basket","buy_quantity":1,)"
                    R"("get_quantity":1,"max_groups":101})",
                    ErrorCode::kValueOutOfRange, "reward.max_groups");
  expectRewardError(R"({"kind":"bonus_points","target":"basket","points":1,"min_quantity":-1})",
                    ErrorCode::kValueOutOfRange, "reward.min_quantity");
  expectRewardError(R"({"kind":"bonus_points","target":"basket","points":1,)"
                    R"("min_spend":100000001})",
                    ErrorCode::kValueOutOfRange, "reward.min_spend");
  expectRewardError(R"({"kind":"bonus_points","target":"basket","points":1,"min_spend":1.5})",
                    ErrorCode::kWrongType, "reward.min_spend");
  // Value formats come from offers::validate, under the same path.
  expectRewardError(R"({"kind":"amount_off","target":"sku","value":"P 1","amount":1})",
                    ErrorCode::kInvalidValue, "reward.value");
  expectRewardError(R"({"kind":"amount_off","target":"sku","value":"","amount":1})",
                    ErrorCode::kInvalidValue, "reward.value");
  expectRewardError(R"({"kind":"amount_off","target":"category","value":"/","amount":1})",
                    ErrorCode::kInvalidValue, "reward.value");
}

TEST_CASE("Codec: offer lists", "[protocol][coupon]") {
  using loyalty::offers::RewardKind;
  OfferList list;
  Offer first;
  first.campaign = 7;
  first.name = "Milk week";
  first.reward.kind = RewardKind::kPercentOff;
  first.reward.target = loyalty::offers::TargetKind::kCategory;
  first.reward.value = "dairy/milk";
  first.reward.percent = 20;
  first.stores = {"S1", "S042"};
  Offer second;
  second.campaign = 8;
  second.name = "Welcome \xE2\x82\xAC""5";
  second.reward.kind = RewardKind::kAmountOff;
  second.reward.amount = Money(500);
  list.offers = {first, second};
  const std::string text = encode(list);
  CHECK(text ==
        R"({"offers":[{"campaign":7,"name":"Milk week","reward":{"kind":"percent_off",)"
        R"("target":"category","value":"dairy/milk","percent":20},"stores":["S1","S042"]},)"
        R"({"campaign":8,"name":"Welcome )"
        "\xE2\x82\xAC"
        R"(5","reward":{"kind":"amount_off","target":"basket","amount":500},"stores":[]}]})");
  auto back = decodeOfferList(text);
  REQUIRE(back.ok());
  CHECK(encode(back.value()) == text);
  REQUIRE(back->offers.size() == 2);
  CHECK(back->offers[0].reward == first.reward);
  CHECK(back->offers[1].reward == second.reward);
  CHECK(back->offers[0].stores == first.stores);
  CHECK(back->offers[1].stores.empty());

  auto empty = decodeOfferList(R"({"offers":[]})");
  REQUIRE(empty.ok());
  CHECK(empty->offers.empty());

  // Lenient around the rewards (unknown offer fields are ignored) ...
  auto future = decodeOfferList(
      R"({"offers":[{"campaign":1,"name":"n","reward":{"kind":"bonus_points",)"
      R"("target":"basket","points":5},"stores":[],"tiers":["gold"]}],"version":2})");
  REQUIRE(future.ok());
  CHECK(future->offers[0].reward.points == Points(5));
  // ... but strict inside them, with the full path.
  const auto decode = [](std::string_view b) { return decodeOfferList(b); };
  expectError(decode,
              R"({"offers":[{"campaign":1,"name":"n","reward":{"kind":"bonus_points",)"
              R"("target":"basket","points":5,"discount_cap":3},"stores":[]}]})",
              ErrorCode::kUnknownField, "offers[0].reward.discount_cap");
  expectError(decode,
              R"({"offers":[{"campaign":1,"name":"n","reward":{"kind":"bonus_points",)"
              R"("target":"basket","points":5},"stores":[]},{"campaign":2,"name":"m",)"
              R"("reward":{"kind":"percent_off","target":"basket","percent":0},"stores":[]}]})",
              ErrorCode::kValueOutOfRange, "offers[1].reward.percent");
  expectError(decode,
              R"({"offers":[{"campaign":1,"name":"n","reward":{"kind":"amount_off",)"
              R"("target":"sku","value":"P 1","amount":5},"stores":[]}]})",
              ErrorCode::kInvalidValue, "offers[0].reward.value");
  expectError(decode,
              R"({"offers":[{"campaign":1,"name":"n","reward":{"kind":"bonus_points",)"
              R"("target":"basket","points":5}}]})",
              ErrorCode::kMissingField, "offers[0].stores");
  expectError(decode,
              R"({"offers":[{"campaign":"1","name":"n","reward":{"kind":"bonus_points",)"
              R"("target":"basket","points":5},"stores":[]}]})",
              ErrorCode::kWrongType, "offers[0].campaign");
  expectError(decode,
              R"({"offers":[{"campaign":1,"name":"n","reward":null,"stores":[]}]})",
              ErrorCode::kWrongType, "offers[0].reward");
  expectError(decode, R"({"offers":{}})", ErrorCode::kWrongType, "offers");
}

TEST_CASE("Codec: the commit fingerprint covers coupons, points and the offline flag",
          "[protocol][coupon]") {
  auto base = decodeCommitRequest(kCommit);
  REQUIRE(base.ok());
  const uint64_t plain = fingerprint(base.value());

  CommitRequest withCoupon = base.value();
  withCoupon.coupons = {"LC1A"};
  CommitRequest otherCoupon = base.value();
  otherCoupon.coupons = {"LC1B"};
  CommitRequest twoCoupons = base.value();
  twoCoupons.coupons = {"LC1A", "LC1B"};
  CommitRequest swapped = base.value();
  swapped.coupons = {"LC1B", "LC1A"};
  CommitRequest points = base.value();
  points.redeemPoints = Points(100);
  CommitRequest morePoints = base.value();
  morePoints.redeemPoints = Points(101);
  CommitRequest offline = withCoupon;
  offline.offlineCoupons = true;

  const std::vector<uint64_t> prints = {plain,
                                        fingerprint(withCoupon),
                                        fingerprint(otherCoupon),
                                        fingerprint(twoCoupons),
                                        fingerprint(swapped),
                                        fingerprint(points),
                                        fingerprint(morePoints),
                                        fingerprint(offline)};
  for (size_t i = 0; i < prints.size(); ++i) {
    for (size_t j = i + 1; j < prints.size(); ++j) {
      INFO(i << " vs " << j);
      CHECK(prints[i] != prints[j]);
    }
  }
  // Formatting still does not matter: the decoded wire form has the same fingerprint.
  auto again = decodeCommitRequest(
      mutated(kCommit, [](Value& v) {
        set(v, "offline_coupons", Value::boolean(true));
        set(v, "coupons", Value::array({Value::string("LC1A")}));
      }));
  REQUIRE(again.ok());
  CHECK(fingerprint(again.value()) == fingerprint(offline));
}
