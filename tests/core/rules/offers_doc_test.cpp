// Executes docs/offers.md: every ```offer-example block is parsed (rules, context, lines, optional
// returns), run through the earn engine, and every number under "expect" is checked; the
// ```offer-rules block (the documented JSON shape) must parse and validate. The JSON reading is
// strict (unknown or mistyped fields fail), so the page cannot drift from the shape it documents.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "domain/rules/earn_engine.h"
#include "loyalty/protocol/json.h"

#ifndef LOYALTY_DOCS_DIR
#error "LOYALTY_DOCS_DIR must name the docs directory"
#endif

namespace {

using loyalty::base::Money;
using loyalty::base::Points;
using loyalty::protocol::json::Value;
using namespace loyalty::core::domain::rules;  // NOLINT(google-build-using-namespace): test file

std::string readOffersDoc() {
  std::ifstream in(std::string(LOYALTY_DOCS_DIR) + "/offers.md", std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Block {
  std::string fence;  // "offer-example" or "offer-rules"
  std::string json;
  size_t line = 0;  // 1-based line of the opening fence
};

std::vector<Block> blocks(const std::string& text, const std::string& fence) {
  std::vector<Block> out;
  std::istringstream in(text);
  std::string line;
  size_t number = 0;
  Block* open = nullptr;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (open == nullptr) {
      if (line == "```" + fence) {
        out.push_back(Block{fence, "", number});
        open = &out.back();
      }
    } else if (line == "```") {
      open = nullptr;
    } else {
      open->json += line + "\n";
    }
  }
  CHECK(open == nullptr);  // every block is closed
  return out;
}

// Strict reader: records the first problems instead of throwing, so a broken example names
// itself in the failure message.
class Reader {
 public:
  void fail(const std::string& what) { errors_.push_back(what); }
  const std::vector<std::string>& errors() const { return errors_; }

  // Checks that obj is an object with only the allowed keys.
  bool object(const Value* obj, const std::string& where, const std::set<std::string>& allowed) {
    if (obj == nullptr || !obj->isObject()) {
      fail(where + ": expected an object");
      return false;
    }
    for (const auto& m : obj->members()) {
      if (allowed.count(m.first) == 0) {
        fail(where + ": unknown field '" + m.first + "'");
      }
    }
    return true;
  }
  int64_t integer(const Value& obj, const std::string& key, const std::string& where,
                  std::optional<int64_t> fallback = std::nullopt) {
    const Value* v = obj.find(key);
    if (v == nullptr && fallback) {
      return *fallback;
    }
    if (v == nullptr || !v->isInt()) {
      fail(where + "." + key + ": expected an integer");
      return 0;
    }
    return v->asInt();
  }
  std::string string(const Value& obj, const std::string& key, const std::string& where,
                     std::optional<std::string> fallback = std::nullopt) {
    const Value* v = obj.find(key);
    if (v == nullptr && fallback) {
      return *fallback;
    }
    if (v == nullptr || !v->isString()) {
      fail(where + "." + key + ": expected a string");
      return std::string();
    }
    return v->asString();
  }
  std::optional<std::string> optionalString(const Value& obj, const std::string& key,
                                            const std::string& where) {
    if (obj.find(key) == nullptr) {
      return std::nullopt;
    }
    return string(obj, key, where);
  }
  const std::vector<Value>& array(const Value& obj, const std::string& key,
                                  const std::string& where) {
    static const std::vector<Value> kEmpty;
    const Value* v = obj.find(key);
    if (v == nullptr) {
      return kEmpty;
    }
    if (!v->isArray()) {
      fail(where + "." + key + ": expected an array");
      return kEmpty;
    }
    return v->items();
  }

  EarnRules rules(const Value* v) {
    EarnRules r;
    if (!object(v, "rules",
                {"base", "multipliers", "productBonuses", "thresholdBonuses", "tiers"})) {
      return r;
    }
    if (const Value* b = v->find("base"); b != nullptr) {
      if (object(b, "base", {"pointsPerUnit", "unitMinor", "excludedCategories"})) {
        r.base.pointsPerUnit = integer(*b, "pointsPerUnit", "base", r.base.pointsPerUnit);
        r.base.unitMinor = integer(*b, "unitMinor", "base", r.base.unitMinor);
        if (b->find("excludedCategories") != nullptr) {
          r.base.excludedCategories.clear();
          for (const auto& c : array(*b, "excludedCategories", "base")) {
            if (c.isString()) {
              r.base.excludedCategories.push_back(c.asString());
            } else {
              fail("base.excludedCategories: expected strings");
            }
          }
        }
      }
    }
    for (const auto& m : array(*v, "multipliers", "rules")) {
      if (!object(&m, "multiplier", {"id", "scope", "percent", "from", "to"})) {
        continue;
      }
      Multiplier x;
      x.id = string(m, "id", "multiplier");
      const Value* scope = m.find("scope");
      if (object(scope, x.id + ".scope", {"kind", "value"})) {
        auto kind = parseScopeKind(string(*scope, "kind", x.id + ".scope"));
        if (!kind) {
          fail(x.id + ".scope.kind: unknown kind");
        } else {
          x.scope.kind = *kind;
        }
        x.scope.value = string(*scope, "value", x.id + ".scope", std::string());
      }
      x.percent = integer(m, "percent", x.id);
      x.from = optionalString(m, "from", x.id);
      x.to = optionalString(m, "to", x.id);
      r.multipliers.push_back(std::move(x));
    }
    for (const auto& p : array(*v, "productBonuses", "rules")) {
      if (!object(&p, "productBonus", {"id", "sku", "pointsPerUnitBought", "from", "to"})) {
        continue;
      }
      ProductBonus x;
      x.id = string(p, "id", "productBonus");
      x.sku = string(p, "sku", x.id);
      x.pointsPerUnitBought = integer(p, "pointsPerUnitBought", x.id);
      x.from = optionalString(p, "from", x.id);
      x.to = optionalString(p, "to", x.id);
      r.productBonuses.push_back(std::move(x));
    }
    for (const auto& t : array(*v, "thresholdBonuses", "rules")) {
      if (!object(&t, "thresholdBonus", {"id", "minEligibleSpend", "points", "from", "to"})) {
        continue;
      }
      ThresholdBonus x;
      x.id = string(t, "id", "thresholdBonus");
      x.minEligibleSpend = Money(integer(t, "minEligibleSpend", x.id));
      x.points = Points(integer(t, "points", x.id));
      x.from = optionalString(t, "from", x.id);
      x.to = optionalString(t, "to", x.id);
      r.thresholdBonuses.push_back(std::move(x));
    }
    for (const auto& t : array(*v, "tiers", "rules")) {
      if (!object(&t, "tier", {"name", "minRollingSpend", "percent"})) {
        continue;
      }
      Tier x;
      x.name = string(t, "name", "tier");
      x.minRollingSpend = Money(integer(t, "minRollingSpend", x.name));
      x.percent = integer(t, "percent", x.name);
      r.tiers.push_back(std::move(x));
    }
    return r;
  }

  EarnContext context(const Value* v, const EarnRules& rules) {
    EarnContext c;
    if (!object(v, "context", {"store", "tier", "date", "rollingSpend"})) {
      return c;
    }
    c.store = string(*v, "store", "context");
    c.date = string(*v, "date", "context");
    if (v->find("rollingSpend") != nullptr) {
      if (v->find("tier") != nullptr) {
        fail("context: give either tier or rollingSpend");
      }
      c.tier = tierFor(Money(integer(*v, "rollingSpend", "context")), rules.tiers);
    } else {
      c.tier = string(*v, "tier", "context");
    }
    return c;
  }

  std::vector<PricedLine> lines(const Value& example) {
    std::vector<PricedLine> out;
    for (const auto& l : array(example, "lines", "example")) {
      if (!object(&l, "line", {"line", "sku", "brand", "category", "quantity", "unitPrice"})) {
        continue;
      }
      PricedLine p;
      p.line = integer(l, "line", "line");
      const std::string where = "line " + std::to_string(p.line);
      p.sku = string(l, "sku", where);
      p.brand = string(l, "brand", where, std::string());
      p.categoryPath = string(l, "category", where, std::string());
      p.quantity = integer(l, "quantity", where);
      p.unitPrice = Money(integer(l, "unitPrice", where));
      out.push_back(std::move(p));
    }
    return out;
  }

  std::vector<std::vector<ReturnedUnits>> returns(const Value& example) {
    std::vector<std::vector<ReturnedUnits>> out;
    for (const auto& step : array(example, "returns", "example")) {
      if (!step.isArray()) {
        fail("returns: expected arrays of returned lines");
        continue;
      }
      std::vector<ReturnedUnits> units;
      for (const auto& r : step.items()) {
        if (object(&r, "returned line", {"line", "quantity"})) {
          units.push_back(
              ReturnedUnits{integer(r, "line", "returned"), integer(r, "quantity", "returned")});
        }
      }
      out.push_back(std::move(units));
    }
    return out;
  }

 private:
  std::vector<std::string> errors_;
};

std::string describe(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) {
    out += e + "; ";
  }
  return out;
}

}  // namespace

TEST_CASE("Offers doc: every worked example runs and gives its documented numbers", "[rules]") {
  const std::string doc = readOffersDoc();
  const auto examples = blocks(doc, "offer-example");
  std::set<std::string> names;
  for (const auto& block : examples) {
    INFO("docs/offers.md, offer-example at line " << block.line);
    auto parsed = loyalty::protocol::json::parse(block.json);
    INFO((parsed.ok() ? std::string() : parsed.error().message));
    REQUIRE(parsed.ok());
    const Value& ex = *parsed;

    Reader reader;
    reader.object(&ex, "example", {"name", "rules", "context", "lines", "returns", "expect"});
    const std::string name = reader.string(ex, "name", "example");
    INFO("example '" << name << "'");
    CHECK(names.insert(name).second);
    const EarnRules rules = reader.rules(ex.find("rules"));
    const EarnContext context = reader.context(ex.find("context"), rules);
    const std::vector<PricedLine> lines = reader.lines(ex);
    const auto returns = reader.returns(ex);
    const Value* expect = ex.find("expect");
    reader.object(expect, "expect",
                  {"total", "base", "contributions", "tier", "eligibleSpend", "reversals"});
    INFO(describe(reader.errors()));
    REQUIRE(reader.errors().empty());
    CHECK(!lines.empty());

    auto valid = validate(rules);
    INFO((valid.ok() ? std::string() : valid.error().message));
    REQUIRE(valid.ok());

    const EarnBreakdown b = explain(lines, context, rules);
    CHECK(b.total.value() == reader.integer(*expect, "total", "expect"));
    CHECK(b.base.value() == reader.integer(*expect, "base", "expect"));
    std::map<std::string, int64_t> want;
    const Value* contributions = expect->find("contributions");
    REQUIRE(contributions != nullptr);
    REQUIRE(contributions->isObject());
    for (const auto& m : contributions->members()) {
      REQUIRE(m.second.isInt());
      want[m.first] = m.second.asInt();
    }
    std::map<std::string, int64_t> got;
    int64_t sum = b.base.value();
    for (const auto& c : b.contributions) {
      got[c.ruleId] = c.points.value();
      sum += c.points.value();
    }
    CHECK(got == want);
    CHECK(sum == b.total.value());  // the documented breakdown adds up
    if (expect->find("tier") != nullptr) {
      CHECK(b.tier == reader.string(*expect, "tier", "expect"));
    }
    if (expect->find("eligibleSpend") != nullptr) {
      CHECK(b.eligibleSpend.value() == reader.integer(*expect, "eligibleSpend", "expect"));
    }

    const auto& reversals = reader.array(*expect, "reversals", "expect");
    REQUIRE(reversals.size() == returns.size());
    std::vector<PricedLine> kept = lines;
    int64_t reversed = 0;
    for (size_t i = 0; i < returns.size(); ++i) {
      INFO("return " << i + 1);
      REQUIRE(reversals[i].isInt());
      const Points r = pointsToReverse(kept, returns[i], context, rules);
      CHECK(r.value() == reversals[i].asInt());
      reversed += r.value();
      CHECK(reversed <= b.total.value());
      kept = afterReturn(kept, returns[i]);
    }
    CHECK(reader.errors().empty());
  }

  // One worked example per rule type, as docs/offers.md promises.
  for (const char* required :
       {"base-rate", "exclusion", "multiplier-product", "multiplier-brand", "multiplier-category",
        "multiplier-store", "multiplier-tier", "multiplier-date-range", "product-bonus",
        "threshold-bonus", "tiers-rolling-spend", "combined", "partial-refund"}) {
    INFO("missing worked example: " << required);
    CHECK(names.count(required) == 1);
  }
}

TEST_CASE("Offers doc: the documented JSON shape of the rules parses and validates", "[rules]") {
  const auto shapes = blocks(readOffersDoc(), "offer-rules");
  REQUIRE(shapes.size() == 1);
  auto parsed = loyalty::protocol::json::parse(shapes[0].json);
  REQUIRE(parsed.ok());
  Reader reader;
  const EarnRules rules = reader.rules(&*parsed);
  INFO(describe(reader.errors()));
  REQUIRE(reader.errors().empty());
  CHECK(validate(rules).ok());
  // Every list of the shape is shown, so a reader sees every field.
  CHECK(rules.multipliers.size() == 2);
  CHECK(rules.productBonuses.size() == 1);
  CHECK(rules.thresholdBonuses.size() == 1);
  CHECK(rules.tiers.size() == 2);
  CHECK(rules.base.excludedCategories.size() == 4);
}
