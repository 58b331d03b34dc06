// Executes docs/offers.md, "Coupon rewards": every ```reward-example block is parsed strictly
// (unknown or mistyped fields fail), its reward (or its list of stacked coupons) is decoded with
// the protocol codec (so the JSON shape is the documented one), applied with offers::applyReward
// (each coupon seeing the discounts of the ones before), and every number under "expect" is
// checked, as is the receipt text when given. The page must show every kind and a stacking case.
#include <catch2/catch.hpp>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "loyalty/offers/reward.h"
#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/json.h"

#ifndef LOYALTY_DOCS_DIR
#error "LOYALTY_DOCS_DIR must name the docs directory"
#endif

namespace {

using loyalty::base::Money;
using loyalty::protocol::json::Value;
using namespace loyalty::offers;  // NOLINT(google-build-using-namespace): test file

std::string readOffersDoc() {
  std::ifstream in(std::string(LOYALTY_DOCS_DIR) + "/offers.md", std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Block {
  std::string json;
  size_t line = 0;  // 1-based line of the opening fence
};

std::vector<Block> rewardExamples(const std::string& text) {
  std::vector<Block> out;
  std::istringstream in(text);
  std::string line;
  size_t number = 0;
  bool open = false;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (!open) {
      if (line == "```reward-example") {
        out.push_back(Block{"", number});
        open = true;
      }
    } else if (line == "```") {
      open = false;
    } else {
      out.back().json += line + "\n";
    }
  }
  CHECK_FALSE(open);  // every block is closed
  return out;
}

// Strict reader: records problems instead of throwing, so a broken example names itself.
class Reader {
 public:
  void fail(const std::string& what) { errors_.push_back(what); }
  const std::vector<std::string>& errors() const { return errors_; }

  std::string summary() const {
    std::string out;
    for (const auto& e : errors_) {
      out += e + "; ";
    }
    return out;
  }

  bool object(const Value* v, const std::string& where, std::initializer_list<const char*> keys,
              std::initializer_list<const char*> required) {
    if (v == nullptr || !v->isObject()) {
      fail(where + ": expected an object");
      return false;
    }
    for (const auto& m : v->members()) {
      bool known = false;
      for (const char* k : keys) {
        known = known || m.first == k;
      }
      if (!known) {
        fail(where + ": unknown field '" + m.first + "'");
      }
    }
    for (const char* k : required) {
      if (v->find(k) == nullptr) {
        fail(where + ": missing field '" + k + "'");
      }
    }
    return true;
  }

  int64_t integer(const Value& obj, const char* key, const std::string& where) {
    const Value* v = obj.find(key);
    if (v == nullptr || !v->isInt()) {
      fail(where + "." + key + ": expected an integer");
      return 0;
    }
    return v->asInt();
  }

  std::string string(const Value& obj, const char* key, const std::string& where,
                     bool optional = false) {
    const Value* v = obj.find(key);
    if (v == nullptr && optional) {
      return std::string();
    }
    if (v == nullptr || !v->isString()) {
      fail(where + "." + key + ": expected a string");
      return std::string();
    }
    return v->asString();
  }

  bool boolean(const Value& obj, const char* key, const std::string& where) {
    const Value* v = obj.find(key);
    if (v == nullptr || !v->isBool()) {
      fail(where + "." + key + ": expected true or false");
      return false;
    }
    return v->asBool();
  }

  const std::vector<Value>& array(const Value& obj, const char* key, const std::string& where) {
    static const std::vector<Value> kEmpty;
    const Value* v = obj.find(key);
    if (v == nullptr || !v->isArray()) {
      fail(where + "." + key + ": expected an array");
      return kEmpty;
    }
    return v->items();
  }

  Reward reward(const Value& v, const std::string& where) {
    auto decoded = loyalty::protocol::decodeReward(v, where);
    if (!decoded.ok()) {
      fail(decoded.error().message);
      return Reward();
    }
    return decoded.value();
  }

  std::vector<RewardLine> lines(const Value& example) {
    std::vector<RewardLine> out;
    for (const Value& l : array(example, "lines", "example")) {
      if (!object(&l, "line", {"line", "sku", "category", "quantity", "unit_price"},
                  {"line", "sku", "quantity", "unit_price"})) {
        continue;
      }
      RewardLine r;
      r.line = integer(l, "line", "line");
      const std::string where = "line " + std::to_string(r.line);
      r.sku = string(l, "sku", where);
      r.categoryPath = string(l, "category", where, true);
      r.quantity = integer(l, "quantity", where);
      r.unitPrice = Money(integer(l, "unit_price", where));
      out.push_back(std::move(r));
    }
    return out;
  }

  std::vector<LineDiscount> discounts(const Value& expect) {
    std::vector<LineDiscount> out;
    for (const Value& d : array(expect, "discounts", "expect")) {
      if (object(&d, "discount", {"line", "amount"}, {"line", "amount"})) {
        out.push_back(
            LineDiscount{integer(d, "line", "discount"), Money(integer(d, "amount", "discount"))});
      }
    }
    return out;
  }

 private:
  std::vector<std::string> errors_;
};

std::string text(const std::vector<LineDiscount>& discounts) {
  std::string out;
  for (const LineDiscount& d : discounts) {
    out += "{line " + std::to_string(d.line) + ": " + std::to_string(d.amount.value()) + "} ";
  }
  return out;
}

}  // namespace

TEST_CASE("Reward doc: every worked example runs and gives its documented numbers",
          "[protocol][reward]") {
  const auto examples = rewardExamples(readOffersDoc());
  REQUIRE_FALSE(examples.empty());
  std::set<std::string> names;
  std::set<RewardKind> kinds;
  bool stacked = false;
  for (const Block& block : examples) {
    INFO("docs/offers.md, reward-example at line " << block.line);
    auto parsed = loyalty::protocol::json::parse(block.json);
    INFO((parsed.ok() ? std::string() : parsed.error().message));
    REQUIRE(parsed.ok());
    const Value& ex = parsed.value();

    Reader reader;
    reader.object(&ex, "example", {"name", "reward", "coupons", "lines", "expect"},
                  {"name", "lines", "expect"});
    const std::string name = reader.string(ex, "name", "example");
    INFO("example '" << name << "'");
    CHECK(names.insert(name).second);

    std::vector<Reward> coupons;
    const bool single = ex.find("reward") != nullptr;
    if (single == (ex.find("coupons") != nullptr)) {
      reader.fail("example: give exactly one of 'reward' and 'coupons'");
    } else if (single) {
      coupons.push_back(reader.reward(*ex.find("reward"), "reward"));
    } else {
      const auto& items = reader.array(ex, "coupons", "example");
      for (size_t i = 0; i < items.size(); ++i) {
        coupons.push_back(reader.reward(items[i], "coupons[" + std::to_string(i) + "]"));
      }
      if (items.size() < 2) {
        reader.fail("coupons: a stacking example has at least two coupons");
      }
    }
    std::vector<RewardLine> lines = reader.lines(ex);
    const Value* expect = ex.find("expect");
    reader.object(expect, "expect", {"applies", "discounts", "bonus_points", "cost", "describe"},
                  {"applies", "discounts", "bonus_points", "cost"});
    INFO(reader.summary());
    REQUIRE(reader.errors().empty());
    REQUIRE_FALSE(lines.empty());

    // Apply each coupon to the basket, each seeing the discounts of the ones before.
    bool applies = true;
    std::vector<LineDiscount> got;
    int64_t bonus = 0;
    int64_t cost = 0;
    for (const Reward& reward : coupons) {
      kinds.insert(reward.kind);
      const RewardOutcome outcome = applyReward(reward, lines);
      applies = applies && outcome.applies;
      int64_t sum = 0;
      for (const LineDiscount& d : outcome.discounts) {
        CHECK(d.amount > Money(0));
        sum += d.amount.value();
        got.push_back(d);
        for (RewardLine& l : lines) {
          if (l.line == d.line) {
            l.discounted += d.amount;
          }
        }
      }
      CHECK(outcome.cost.value() == sum);  // the cost is the sum of the discounts
      bonus += outcome.bonusPoints.value();
      cost += outcome.cost.value();
    }
    // No line was taken below zero.
    for (const RewardLine& l : lines) {
      CHECK(l.discounted.value() <= l.quantity * l.unitPrice.value());
    }
    stacked = stacked || coupons.size() >= 2;

    const std::vector<LineDiscount> want = reader.discounts(*expect);
    CHECK(applies == reader.boolean(*expect, "applies", "expect"));
    INFO("got " << text(got) << "; documented " << text(want));
    CHECK(got == want);
    CHECK(bonus == reader.integer(*expect, "bonus_points", "expect"));
    CHECK(cost == reader.integer(*expect, "cost", "expect"));
    if (expect->find("describe") != nullptr) {
      REQUIRE(coupons.size() == 1);
      CHECK(describe(coupons[0]) == reader.string(*expect, "describe", "expect"));
    }
    CHECK(reader.errors().empty());
  }

  // At least one worked example per kind, and one with stacked coupons.
  for (const RewardKind kind : {RewardKind::kAmountOff, RewardKind::kPercentOff,
                                RewardKind::kBuyXGetY, RewardKind::kBonusPoints}) {
    INFO("no worked example of kind " << rewardKindName(kind));
    CHECK(kinds.count(kind) == 1);
  }
  CHECK(stacked);
}
