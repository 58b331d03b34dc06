// Tests that docs/protocol.md, the normative protocol reference, agrees with the code: every
// marked example decodes and re-encodes to the same canonical JSON, every message type has an
// example, and the error and limits tables match errors.h and limits.h.
#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/errors.h"
#include "loyalty/protocol/json.h"
#include "loyalty/protocol/limits.h"

#ifndef LOYALTY_DOCS_DIR
#error "LOYALTY_DOCS_DIR must name the docs directory"
#endif

namespace {

using loyalty::base::Result;
using namespace loyalty::protocol;  // NOLINT(google-build-using-namespace): test file

std::string readProtocolDoc() {
  std::ifstream in(std::string(LOYALTY_DOCS_DIR) + "/protocol.md", std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    out.push_back(line);
  }
  return out;
}

std::string trim(std::string_view s) {
  const size_t first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return std::string();
  }
  const size_t last = s.find_last_not_of(" \t");
  return std::string(s.substr(first, last - first + 1));
}

struct Example {
  std::string type;
  std::string json;
  size_t line = 0;  // 1-based line of the marker
};

// Every "<!-- example: Type -->" marker followed by a ```json fence.
std::vector<Example> examples(const std::vector<std::string>& doc) {
  static const std::string kMarker = "<!-- example:";
  std::vector<Example> out;
  for (size_t i = 0; i < doc.size(); ++i) {
    const std::string line = trim(doc[i]);
    if (line.rfind(kMarker, 0) != 0) {
      continue;
    }
    const size_t close = line.find("-->");
    INFO("docs/protocol.md line " << i + 1);
    REQUIRE(close != std::string::npos);
    Example example;
    example.type = trim(line.substr(kMarker.size(), close - kMarker.size()));
    example.line = i + 1;
    REQUIRE(i + 1 < doc.size());
    REQUIRE(trim(doc[i + 1]) == "```json");
    size_t j = i + 2;
    for (; j < doc.size() && trim(doc[j]) != "```"; ++j) {
      example.json += doc[j];
      example.json += '\n';
    }
    REQUIRE(j < doc.size());  // the fence is closed
    out.push_back(std::move(example));
    i = j;
  }
  return out;
}

// Decodes with the type's decoder and encodes the result again.
using Recode = std::function<Result<std::string>(std::string_view)>;

template <typename Decode>
Recode recoder(Decode decode) {
  return [decode](std::string_view text) -> Result<std::string> {
    auto decoded = decode(text);
    if (!decoded.ok()) {
      return decoded.error();
    }
    return encode(decoded.value());
  };
}

// A reward is not a message of its own: decode it from a parsed value, encode it with a writer.
Result<std::string> recodeReward(std::string_view text) {
  auto parsed = json::parse(text);
  if (!parsed.ok()) {
    return parsed.error();
  }
  auto reward = decodeReward(parsed.value(), "");
  if (!reward.ok()) {
    return reward.error();
  }
  json::Writer w;
  encodeReward(w, reward.value());
  return w.take();
}

const std::map<std::string, Recode>& recoders() {
  static const std::map<std::string, Recode> kRecoders = {
      {"IdentifyRequest", recoder(decodeIdentifyRequest)},
      {"IdentifyResponse", recoder(decodeIdentifyResponse)},
      {"PriceRequest", recoder(decodePriceRequest)},
      {"PriceResponse", recoder(decodePriceResponse)},
      {"CommitRequest", recoder(decodeCommitRequest)},
      {"CommitResponse", recoder(decodeCommitResponse)},
      {"RefundRequest", recoder(decodeRefundRequest)},
      {"RefundResponse", recoder(decodeRefundResponse)},
      {"CustomerHistory", recoder(decodeCustomerHistory)},
      {"CatalogueImportResponse", recoder(decodeCatalogueImportResponse)},
      {"AgentStatus", recoder(decodeAgentStatus)},
      {"ErrorBody", recoder(decodeErrorBody)},
      {"VoidRequest", recoder(decodeVoidRequest)},
      {"VoidResponse", recoder(decodeVoidResponse)},
      {"OfferList", recoder(decodeOfferList)},
      {"Reward", recodeReward},
  };
  return kRecoders;
}

std::string canonical(std::string_view text) {
  auto parsed = json::parse(text);
  REQUIRE(parsed.ok());
  return json::serialize(parsed.value());
}

// Rows "| cell | cell | ... |" of the section whose "## " heading contains `heading`.
std::vector<std::vector<std::string>> tableRows(const std::vector<std::string>& doc,
                                                const std::string& heading) {
  std::vector<std::vector<std::string>> rows;
  bool inSection = false;
  for (const std::string& raw : doc) {
    if (raw.rfind("## ", 0) == 0) {
      inSection = raw.find(heading) != std::string::npos;
      continue;
    }
    const std::string line = trim(raw);
    if (!inSection || line.rfind("| `", 0) != 0) {
      continue;
    }
    std::vector<std::string> cells;
    size_t start = 1;
    for (size_t bar = line.find('|', start); bar != std::string::npos;
         bar = line.find('|', start)) {
      cells.push_back(trim(std::string_view(line).substr(start, bar - start)));
      start = bar + 1;
    }
    rows.push_back(std::move(cells));
  }
  return rows;
}

std::string unquoteCode(const std::string& cell) {
  if (cell.size() >= 2 && cell.front() == '`' && cell.back() == '`') {
    return cell.substr(1, cell.size() - 2);
  }
  return cell;
}

// The leading number of a cell, digit group separators removed: "262,144 (256 KiB)" -> 262144.
int64_t leadingNumber(const std::string& cell) {
  std::string digits;
  for (const char c : cell) {
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (c != ',' && c != '_') {
      break;
    }
  }
  REQUIRE_FALSE(digits.empty());
  return std::stoll(digits);
}

}  // namespace

TEST_CASE("Docs: every example decodes and re-encodes to the same canonical JSON", "[protocol]") {
  const auto found = examples(lines(readProtocolDoc()));
  REQUIRE(found.size() >= recoders().size());
  for (const Example& example : found) {
    INFO("example " << example.type << " at docs/protocol.md line " << example.line);
    const auto it = recoders().find(example.type);
    REQUIRE(it != recoders().end());
    const auto recoded = it->second(example.json);
    INFO((recoded.ok() ? std::string() : recoded.error().message));
    REQUIRE(recoded.ok());
    CHECK(canonical(recoded.value()) == canonical(example.json));
  }
}

TEST_CASE("Docs: every message type has an example", "[protocol]") {
  const auto found = examples(lines(readProtocolDoc()));
  std::set<std::string> types;
  bool queuedCommit = false;
  bool queuedRefund = false;
  for (const Example& example : found) {
    types.insert(example.type);
    if (example.type == "CommitResponse") {
      auto r = decodeCommitResponse(example.json);
      queuedCommit = queuedCommit || (r.ok() && r->status == kStatusQueued);
    }
    if (example.type == "RefundResponse") {
      auto r = decodeRefundResponse(example.json);
      queuedRefund = queuedRefund || (r.ok() && r->status == kStatusQueued);
    }
    if (example.type == "ErrorBody") {
      // An error example must be a real code, with its status, title and type.
      auto r = decodeErrorBody(example.json);
      REQUIRE(r.ok());
      const auto code = codeFromName(r->code);
      REQUIRE(code.has_value());
      CHECK(r->status == httpStatus(*code));
      CHECK(r->title == codeTitle(*code));
      CHECK(r->type == "urn:loyalty:error:" + r->code);
    }
  }
  for (const auto& entry : recoders()) {
    INFO(entry.first);
    CHECK(types.count(entry.first) == 1);
  }
  CHECK(queuedCommit);
  CHECK(queuedRefund);
}

TEST_CASE("Docs: the error table lists exactly allErrorCodes() with their statuses", "[protocol]") {
  const auto rows = tableRows(lines(readProtocolDoc()), "Errors");
  std::map<std::string, std::vector<std::string>> byName;
  for (const auto& row : rows) {
    REQUIRE(row.size() == 4);  // code | status | title | when
    const std::string name = unquoteCode(row[0]);
    INFO(name);
    CHECK(byName.emplace(name, row).second);  // listed once
    CHECK_FALSE(row[3].empty());              // says when it happens
  }
  CHECK(byName.size() == allErrorCodes().size());
  for (const auto code : allErrorCodes()) {
    const std::string name(codeName(code));
    INFO(name);
    const auto it = byName.find(name);
    REQUIRE(it != byName.end());
    CHECK(it->second[1] == std::to_string(httpStatus(code)));
    CHECK(it->second[2] == codeTitle(code));
  }
}

TEST_CASE("Docs: the limits table matches limits.h", "[protocol]") {
  const std::map<std::string, int64_t> expected = {
      {"kMaxBodyBytes", static_cast<int64_t>(kMaxBodyBytes)},
      {"kMaxJsonDepth", kMaxJsonDepth},
      {"kMaxLines", static_cast<int64_t>(kMaxLines)},
      {"kMaxTenders", static_cast<int64_t>(kMaxTenders)},
      {"kMaxCouponCodes", static_cast<int64_t>(kMaxCouponCodes)},
      {"kMaxQuantity", kMaxQuantity},
      {"kMaxUnitPrice", kMaxUnitPrice},
      {"kMaxBasketTotal", kMaxBasketTotal},
      {"kMaxLineNumber", kMaxLineNumber},
      {"kMaxIdLength", static_cast<int64_t>(kMaxIdLength)},
      {"kMaxSkuLength", static_cast<int64_t>(kMaxSkuLength)},
      {"kMaxTextLength", static_cast<int64_t>(kMaxTextLength)},
      {"kMaxCouponCodeLength", static_cast<int64_t>(kMaxCouponCodeLength)},
      {"kMaxRedeemPoints", kMaxRedeemPoints},
  };
  const auto rows = tableRows(lines(readProtocolDoc()), "Limits");
  std::map<std::string, int64_t> documented;
  for (const auto& row : rows) {
    REQUIRE(row.size() >= 2);
    documented[unquoteCode(row[0])] = leadingNumber(row[1]);
  }
  CHECK(documented == expected);
}
