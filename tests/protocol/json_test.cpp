// Tests of the strict JSON reader and the compact writer (loyalty/protocol/json.h).
#include "loyalty/protocol/json.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace {

using loyalty::base::ErrorCode;
using loyalty::protocol::json::appendQuoted;
using loyalty::protocol::json::parse;
using loyalty::protocol::json::ParseLimits;
using loyalty::protocol::json::serialize;
using loyalty::protocol::json::Value;
using loyalty::protocol::json::Writer;

// The error code of a parse that must fail (kInternal when it unexpectedly succeeds).
ErrorCode failureOf(std::string_view text, const ParseLimits& limits = ParseLimits()) {
  auto r = parse(text, limits);
  if (r.ok()) {
    return ErrorCode::kInternal;
  }
  return r.error().code;
}

std::string canonical(std::string_view text) {
  auto r = parse(text);
  REQUIRE(r.ok());
  return serialize(r.value());
}

std::string nested(int depth, bool objects) {
  std::string s;
  for (int i = 0; i < depth; ++i) {
    s += objects ? "{\"a\":" : "[";
  }
  s += "1";
  for (int i = 0; i < depth; ++i) {
    s += objects ? "}" : "]";
  }
  return s;
}

}  // namespace

TEST_CASE("Json: parses valid documents", "[protocol]") {
  auto r = parse(
      " {\"store\":\"S1\", \"n\": -12, \"ok\": true, \"no\": false, \"x\": null,\n"
      "\t\"list\": [1, 2.5, \"three\", [], {}], \"price\": 1e3 }\r\n");
  REQUIRE(r.ok());
  const Value& v = r.value();
  REQUIRE(v.isObject());
  REQUIRE(v.members().size() == 7);
  CHECK(v.members()[0].first == "store");  // document order kept
  CHECK(v.members()[6].first == "price");
  CHECK(v.find("store")->asString() == "S1");
  CHECK(v.find("n")->asInt() == -12);
  CHECK(v.find("ok")->asBool());
  CHECK_FALSE(v.find("no")->asBool());
  CHECK(v.find("x")->isNull());
  CHECK(v.find("missing") == nullptr);
  const auto& list = v.find("list")->items();
  REQUIRE(list.size() == 5);
  CHECK(list[0].isInt());
  CHECK(list[1].isDouble());
  CHECK(list[1].asDouble() == 2.5);
  CHECK(list[2].asString() == "three");
  CHECK(list[3].isArray());
  CHECK(list[3].items().empty());
  CHECK(list[4].isObject());
  CHECK(list[4].members().empty());
  CHECK(v.find("price")->isDouble());
  CHECK(v.find("price")->asDouble() == 1000.0);
  CHECK(list[0].find("x") == nullptr);  // find on a non-object

  // Any value may be the top-level value (RFC 8259).
  CHECK(parse("42").value().asInt() == 42);
  CHECK(parse("\"s\"").value().asString() == "s");
  CHECK(parse(" null ").value().isNull());
  CHECK(parse("[]").value().items().empty());
}

TEST_CASE("Json: refuses malformed text with kMalformedJson", "[protocol]") {
  const char* cases[] = {
      "",
      " ",
      "{",
      "[1,2",
      "[1,]",
      "{\"a\":1,}",
      "{\"a\" 1}",
      "{a:1}",
      "[1 2]",
      "[1,,2]",
      "{\"a\":1 \"b\":2}",
      "{\"a\"}",
      "{,}",
      "[,1]",
      "tru",
      "nul",
      "True",
      "NaN",
      "Infinity",
      "01",
      "-01",
      "00",
      "1.",
      ".5",
      "1e",
      "1e+",
      "-",
      "+1",
      "0x10",
      "1.e5",
      "[-]",
      "[1]x",
      "{} {}",
      "\"abc",
      "'a'",
      "\"\\x\"",
      "\"\\u12G4\"",
      "\"\\u12\"",
      "[\"a\\\"]",
      "\"\\",
      "}",
      "\xEF\xBB\xBF{}",  // a byte order mark is not JSON
  };
  for (const char* text : cases) {
    INFO("text: " << text);
    CHECK(failureOf(text) == ErrorCode::kMalformedJson);
  }
  // Raw control characters inside strings must be escaped.
  CHECK(failureOf("\"a\tb\"") == ErrorCode::kMalformedJson);
  CHECK(failureOf("\"a\nb\"") == ErrorCode::kMalformedJson);
  CHECK(failureOf(std::string_view("\"a\0b\"", 5)) == ErrorCode::kMalformedJson);
  CHECK(failureOf(std::string_view("[1]\0", 4)) == ErrorCode::kMalformedJson);
  // ... also after an escape has moved the parser onto its slow path.
  CHECK(failureOf("\"\\n\x01\"") == ErrorCode::kMalformedJson);
}

TEST_CASE("Json: error messages carry the byte offset", "[protocol]") {
  auto r = parse("[1,]");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("byte 3") != std::string::npos);

  auto dup = parse("{\"a\":1,\"a\":2}");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().message.find("byte 7") != std::string::npos);

  auto enc = parse("[\"ab\xFF\"]");
  REQUIRE_FALSE(enc.ok());
  CHECK(enc.error().message.find("byte 4") != std::string::npos);
}

TEST_CASE("Json: refuses invalid UTF-8 with kInvalidEncoding", "[protocol]") {
  const char* cases[] = {
      "\"\xC0\xAF\"",          // overlong '/'
      "\"\xC1\xBF\"",          // overlong
      "\"\xE0\x80\xAF\"",      // overlong 3-byte
      "\"\xF0\x80\x80\xAF\"",  // overlong 4-byte
      "\"\xED\xA0\x80\"",      // UTF-16 surrogate D800 encoded in UTF-8
      "\"\xED\xBF\xBF\"",      // surrogate DFFF
      "\"\xF4\x90\x80\x80\"",  // above U+10FFFF
      "\"\xF5\x80\x80\x80\"",  // lead byte > F4
      "\"\xFF\"",              // never valid
      "\"\x80\"",              // lone continuation byte
      "\"\xE2\x82\"",          // truncated sequence before the quote
      "\"\xC3",                // truncated at the end of the text
      "[1,\xFF]",              // outside a string too
      "{\"k\xE9y\":1}",        // Latin-1 in a key
  };
  for (const char* text : cases) {
    INFO("text: " << text);
    CHECK(failureOf(text) == ErrorCode::kInvalidEncoding);
  }
  // \u escapes forming lone surrogates.
  CHECK(failureOf("\"\\uD800\"") == ErrorCode::kInvalidEncoding);
  CHECK(failureOf("\"\\uDC00\"") == ErrorCode::kInvalidEncoding);
  CHECK(failureOf("\"\\uD800\\u0041\"") == ErrorCode::kInvalidEncoding);
  CHECK(failureOf("\"\\uD83Dx\"") == ErrorCode::kInvalidEncoding);
  CHECK(failureOf("\"\\uDE00\\uD83D\"") == ErrorCode::kInvalidEncoding);  // reversed pair
  // Valid multi-byte text of every length is accepted.
  CHECK(parse("\"\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF\"").ok());
}

TEST_CASE("Json: decodes escapes and unicode", "[protocol]") {
  CHECK(parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"").value().asString() == "\"\\/\b\f\n\r\t");
  CHECK(parse("\"caf\\u00e9\"").value().asString() == "caf\xC3\xA9");
  CHECK(parse("\"\\u20AC\"").value().asString() == "\xE2\x82\xAC");
  CHECK(parse("\"\\uD83D\\uDE00\"").value().asString() == "\xF0\x9F\x98\x80");
  CHECK(parse("\"\\u0041bc\"").value().asString() == "Abc");
  CHECK(parse("\"raw \xE2\x82\xAC passes\"").value().asString() == "raw \xE2\x82\xAC passes");
  const std::string withNul = parse("\"a\\u0000b\"").value().asString();
  CHECK(withNul == std::string("a\0b", 3));
  // Escaped keys are decoded before comparison and lookup.
  auto v = parse("{\"\\u0073ku\":\"x\"}");
  REQUIRE(v.ok());
  CHECK(v.value().find("sku") != nullptr);
}

TEST_CASE("Json: integers are exact within int64 and refused outside", "[protocol]") {
  CHECK(parse("9223372036854775807").value().asInt() == INT64_MAX);
  CHECK(parse("-9223372036854775808").value().asInt() == INT64_MIN);
  CHECK(parse("[922337203685477580]").value().items()[0].asInt() == 922337203685477580);
  CHECK(parse("-0").value().asInt() == 0);
  CHECK(parse("0").value().isInt());
  CHECK(failureOf("9223372036854775808") == ErrorCode::kValueOutOfRange);
  CHECK(failureOf("-9223372036854775809") == ErrorCode::kValueOutOfRange);
  CHECK(failureOf("99999999999999999999") == ErrorCode::kValueOutOfRange);
  CHECK(failureOf("{\"quantity\":18446744073709551616}") == ErrorCode::kValueOutOfRange);
  // Fractions and exponents are doubles, never silently truncated integers.
  CHECK(parse("1.0").value().isDouble());
  CHECK(parse("2E2").value().asDouble() == 200.0);
  CHECK(parse("-1.25e-2").value().asDouble() == -0.0125);
  CHECK(parse("12345678901234567890.5").value().isDouble());
  CHECK(failureOf("1e400") == ErrorCode::kValueOutOfRange);
}

TEST_CASE("Json: nesting depth is limited exactly", "[protocol]") {
  ParseLimits limits;
  limits.maxDepth = 4;
  CHECK(parse(nested(4, false), limits).ok());
  CHECK(failureOf(nested(5, false), limits) == ErrorCode::kNestingTooDeep);
  CHECK(parse(nested(4, true), limits).ok());
  CHECK(failureOf(nested(5, true), limits) == ErrorCode::kNestingTooDeep);
  CHECK(parse("[{\"a\":[{}]}]", limits).ok());
  CHECK(failureOf("[{\"a\":[{\"b\":[]}]}]", limits) == ErrorCode::kNestingTooDeep);
  // Scalars do not count as a level; the top-level container is level 1.
  limits.maxDepth = 1;
  CHECK(parse("[1,\"x\",null]", limits).ok());
  CHECK(failureOf("[[]]", limits) == ErrorCode::kNestingTooDeep);

  // The default limit, and a hostile depth that must neither crash nor be accepted.
  CHECK(parse(nested(16, false)).ok());
  CHECK(failureOf(nested(17, false)) == ErrorCode::kNestingTooDeep);
  CHECK(failureOf(std::string(100000, '[')) == ErrorCode::kNestingTooDeep);
}

TEST_CASE("Json: a key twice in one object is kDuplicateKey", "[protocol]") {
  CHECK(failureOf("{\"a\":1,\"a\":2}") == ErrorCode::kDuplicateKey);
  CHECK(failureOf("{\"a\":1,\"b\":{\"c\":1,\"c\":1}}") == ErrorCode::kDuplicateKey);
  CHECK(failureOf("{\"a\":1,\"\\u0061\":2}") == ErrorCode::kDuplicateKey);  // same once decoded
  CHECK(parse("{\"a\":{\"a\":1},\"b\":[{\"a\":1},{\"a\":2}]}").ok());       // different objects

  // Large objects switch to a hash set: check both sides of the switch.
  for (int size : {10, 16, 17, 40, 1000}) {
    std::string unique = "{";
    for (int i = 0; i < size; ++i) {
      unique += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
    }
    INFO("size " << size);
    CHECK(parse(unique + "}").ok());
    CHECK(failureOf(unique + ",\"k0\":1}") == ErrorCode::kDuplicateKey);
    CHECK(failureOf(unique + ",\"k" + std::to_string(size - 1) + "\":1}") ==
          ErrorCode::kDuplicateKey);
  }
}

TEST_CASE("Json: text longer than maxBytes is kBodyTooLarge", "[protocol]") {
  ParseLimits limits;
  limits.maxBytes = 10;
  CHECK(parse("[1,2,3,45]", limits).ok());  // exactly 10 bytes
  CHECK(failureOf("[1,2,3,456]", limits) == ErrorCode::kBodyTooLarge);
  // The size is checked first, before any other problem in the text.
  CHECK(failureOf("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", limits) ==
        ErrorCode::kBodyTooLarge);
}

TEST_CASE("Json: writer escapes strings", "[protocol]") {
  std::string out;
  appendQuoted(out, std::string_view("q\"b\\s/n\nc\x01\x1f\x7f \xC3\xA9\0", 16));
  CHECK(out == "\"q\\\"b\\\\s/n\\u000ac\\u0001\\u001f\x7f \xC3\xA9\\u0000\"");
  // Escaped output reads back to the original.
  const std::string original("tab\there \"quoted\" \xE2\x82\xAC");
  std::string quoted;
  appendQuoted(quoted, original);
  CHECK(parse(quoted).value().asString() == original);
  // Invalid UTF-8 handed to the writer becomes U+FFFD, so the output always parses.
  std::string bad;
  appendQuoted(bad,
               "a\xFF"
               "b\xC3");
  CHECK(bad ==
        "\"a\xEF\xBF\xBD"
        "b\xEF\xBF\xBD\"");
  CHECK(parse(bad).ok());
}

TEST_CASE("Json: Writer produces compact JSON with automatic commas", "[protocol]") {
  Writer w;
  w.beginObject();
  w.key("a");
  w.value(int64_t{1});
  w.key("b");
  w.beginArray();
  w.value("x");
  w.value(true);
  w.null();
  w.beginObject();
  w.endObject();
  w.beginArray();
  w.endArray();
  w.value(-7);
  w.endArray();
  w.key("c");
  w.raw("{\"pre\":[1,2]}");
  w.key("d");
  w.value(false);
  w.endObject();
  const std::string expected =
      "{\"a\":1,\"b\":[\"x\",true,null,{},[],-7],\"c\":{\"pre\":[1,2]},\"d\":false}";
  CHECK(w.str() == expected);
  CHECK(w.take() == expected);
}

TEST_CASE("Json: serialize(parse(x)) round trips to a canonical form", "[protocol]") {
  CHECK(canonical(" { \"b\" : [ 1 , 2 ] , \"a\" : { } } ") == "{\"b\":[1,2],\"a\":{}}");
  CHECK(canonical("[1.5, 1e2, -0.25, 0.0, 3]") == "[1.5,100.0,-0.25,0.0,3]");
  CHECK(canonical("\"\\u00e9\\n\\/\"") == "\"\xC3\xA9\\u000a/\"");
  CHECK(canonical("[true,false,null]") == "[true,false,null]");
  CHECK(canonical("-9223372036854775808") == "-9223372036854775808");

  // parse(serialize(v)) gives back the same tree: serialising again is a fixed point.
  const char* docs[] = {
      "{\"sales\":[{\"id\":1,\"lines\":[{\"sku\":\"A-1\",\"q\":2}]}],\"ok\":true}",
      "[[],[[]],{\"\":\"\"},\"\\u0000\\u001f\\\"\\\\\"]",
      "{\"pi\":3.141592653589793,\"tiny\":5e-324,\"big\":1.7976931348623157e308}",
  };
  for (const char* doc : docs) {
    const std::string once = canonical(doc);
    CHECK(canonical(once) == once);
  }
  // Values built in code serialise the same way.
  Value built = Value::object({{"n", Value::integer(5)},
                               {"d", Value::number(2.0)},
                               {"s", Value::string("x\"y")},
                               {"a", Value::array({Value::boolean(true), Value::null()})}});
  CHECK(serialize(built) == "{\"n\":5,\"d\":2.0,\"s\":\"x\\\"y\",\"a\":[true,null]}");
}

TEST_CASE("Json: parses a 10 MB document shaped like the basket history file", "[protocol][slow]") {
  // {"<user>": [[-1], [item, ...], ..., [-1]], ...}: 14,000 users, generated with a fixed seed.
  std::mt19937_64 rng(20240601);
  std::string text = "{";
  int64_t expectedSum = 0;
  size_t expectedBaskets = 0;
  constexpr int kUsers = 14000;
  for (int user = 0; user < kUsers; ++user) {
    text += user ? ",\"" : "\"";
    text += std::to_string(user);
    text += "\":[[-1]";
    const int baskets = 3 + static_cast<int>(rng() % 32);
    for (int b = 0; b < baskets; ++b) {
      text += ",[";
      const int items = 1 + static_cast<int>(rng() % 14);
      for (int i = 0; i < items; ++i) {
        const int64_t item = static_cast<int64_t>(rng() % 12000);
        expectedSum += item;
        if (i) {
          text += ',';
        }
        text += std::to_string(item);
      }
      text += ']';
      ++expectedBaskets;
    }
    text += ",[-1]]";
  }
  text += "}";
  REQUIRE(text.size() > 9'000'000);

  ParseLimits limits;
  limits.maxBytes = size_t{32} * 1024 * 1024;
  limits.maxDepth = 3;
  auto r = parse(text, limits);
  REQUIRE(r.ok());
  const auto& users = r.value().members();
  REQUIRE(users.size() == kUsers);
  CHECK(users.front().first == "0");
  CHECK(users.back().first == std::to_string(kUsers - 1));
  int64_t sum = 0;
  size_t baskets = 0;
  for (const auto& user : users) {
    const auto& list = user.second.items();
    REQUIRE(list.size() >= 5);
    CHECK(list.front().items()[0].asInt() == -1);
    CHECK(list.back().items()[0].asInt() == -1);
    for (size_t b = 1; b + 1 < list.size(); ++b) {
      ++baskets;
      for (const Value& item : list[b].items()) {
        sum += item.asInt();
      }
    }
  }
  CHECK(baskets == expectedBaskets);
  CHECK(sum == expectedSum);
}

TEST_CASE("Json: random mutations of a valid document fail cleanly or round trip", "[protocol]") {
  const std::string valid =
      "{\"store\":\"S042\",\"lines\":[{\"line\":1,\"sku\":\"A\\u00e9\",\"quantity\":2,"
      "\"unit_price\":149},{\"line\":2,\"sku\":\"\xE2\x82\xAC\",\"quantity\":-1.5e3}],"
      "\"ok\":true,\"n\":null,\"s\":\"\\\"q\\\"\\n\\uD83D\\uDE00\"}";
  REQUIRE(parse(valid).ok());
  const char alphabet[] = "{}[]\",:\\u0123456789eE.-+ truefalsn\x01\x7F\x80\xBF\xC3\xED\xF0\xFF";
  std::mt19937 rng(7);
  ParseLimits limits;
  limits.maxDepth = 4;
  int failures = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text = valid;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = rng() % (text.size() + 1);
      const char c = alphabet[rng() % (sizeof alphabet - 1)];
      switch (rng() % 3) {
        case 0:
          text.insert(pos, 1, c);
          break;
        case 1:
          if (pos < text.size()) {
            text.erase(pos, 1);
          }
          break;
        default:
          if (pos < text.size()) {
            text[pos] = c;
          }
          break;
      }
    }
    auto r = parse(text, limits);
    if (!r.ok()) {
      ++failures;
      const ErrorCode code = r.error().code;
      const bool parseCode =
          code == ErrorCode::kMalformedJson || code == ErrorCode::kInvalidEncoding ||
          code == ErrorCode::kNestingTooDeep || code == ErrorCode::kDuplicateKey ||
          code == ErrorCode::kValueOutOfRange;
      INFO(text);
      REQUIRE(parseCode);
      REQUIRE(r.error().message.find(" at byte ") != std::string::npos);
    } else {
      const std::string once = serialize(r.value());
      auto again = parse(once, limits);
      INFO(text);
      REQUIRE(again.ok());
      REQUIRE(serialize(again.value()) == once);
    }
  }
  CHECK(failures > 10000);  // most mutations break the document
}
