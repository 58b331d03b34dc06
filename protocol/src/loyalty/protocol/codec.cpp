// JSON encoding and strict decoding of the protocol v1 messages (loyalty/protocol/codec.h,
// docs/protocol.md).
//
// Decoding order, so that "the first problem wins" is deterministic: for each object, its type,
// then its missing required fields (in documented order), then (requests only) its unknown
// fields (in document order), then each field in documented order, descending into nested
// objects and arrays as they are reached; whole-array checks (totals) come after the elements.
//
// A coupon reward is the exception: its "kind" and "target" come first, because they decide
// which other fields are required and which are allowed.
//
// Requests are checked strictly (unknown fields, ranges, formats). Responses are decoded leniently
// for forward compatibility: unknown fields are ignored, an optional field may also be null, and
// only types are checked; they may be up to kMaxResponseBytes long (a long customer history).
// Response fields added by the coupon release (discounts[].kind, coupons[].message/discount/
// bonus_points, the commit's discounts, coupons_returned) take their default when absent, so a
// reply stored by an older core still decodes. Rewards are always checked strictly (an agent must
// not compute a discount from a reward it does not fully understand).
#include "loyalty/protocol/codec.h"

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <optional>
#include <type_traits>

#include "loyalty/protocol/card.h"
#include "loyalty/protocol/json.h"
#include "loyalty/protocol/limits.h"

namespace loyalty::protocol {

namespace {

using base::Error;
using base::ErrorCode;
using base::Result;
using json::Value;

constexpr size_t kMaxResponseBytes = size_t{64} * 1024 * 1024;
constexpr int kMaxResponseDepth = 16;
constexpr int64_t kMinInt = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();

enum class Mode { kRequest, kResponse };

struct FieldSpec {
  std::string_view name;
  bool required;
};

std::string join(std::string_view parent, std::string_view name) {
  std::string path;
  path.reserve(parent.size() + name.size() + 1);
  path.append(parent);
  if (!parent.empty()) {
    path.push_back('.');
  }
  path.append(name);
  return path;
}

std::string indexPath(std::string_view parent, std::string_view name, size_t index) {
  std::string path = join(parent, name);
  path.push_back('[');
  path += std::to_string(index);
  path.push_back(']');
  return path;
}

bool isIdentifierChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool isPrintableAscii(std::string_view s) {
  for (const char c : s) {
    if (c < 0x21 || c > 0x7E) {
      return false;
    }
  }
  return true;
}

// Characters (code points) in valid UTF-8 text.
size_t utf8Length(std::string_view s) {
  size_t n = 0;
  for (const char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++n;
    }
  }
  return n;
}

bool hasControlCharacter(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      return true;
    }
  }
  return false;
}

std::string rangeText(int64_t lo, int64_t hi) {
  return "must be between " + std::to_string(lo) + " and " + std::to_string(hi);
}

// Reads fields out of a parsed document, remembering the first failure.
// Every reader returns false once a failure has been recorded.
class Decoder {
 public:
  explicit Decoder(Mode mode) : mode_(mode) {}

  bool strict() const { return mode_ == Mode::kRequest; }

  const Value* parse(std::string_view body) {
    json::ParseLimits limits;
    limits.maxBytes = strict() ? kMaxBodyBytes : kMaxResponseBytes;
    limits.maxDepth = strict() ? kMaxJsonDepth : kMaxResponseDepth;
    auto parsed = json::parse(body, limits);
    if (!parsed.ok()) {
      error_ = parsed.error();
      return nullptr;
    }
    root_ = std::move(parsed).value();
    return &root_;
  }

  bool fail(ErrorCode code, std::string_view path, std::string_view what) {
    std::string message;
    message.reserve(path.size() + what.size() + 2);
    message.append(path.empty() ? std::string_view("body") : path);
    message.append(": ");
    message.append(what);
    error_ = base::makeError(code, std::move(message));
    return false;
  }

  Error error() const { return error_; }

  // Records an error found by another function (its message already names the field).
  bool failWith(Error error) {
    error_ = std::move(error);
    return false;
  }

  // Checks that v is an object with every required field and (requests) no other field.
  bool object(const Value& v, std::string_view path, std::initializer_list<FieldSpec> fields) {
    if (!v.isObject()) {
      return fail(ErrorCode::kWrongType, path, "expected an object");
    }
    for (const FieldSpec& f : fields) {
      if (f.required && v.find(f.name) == nullptr) {
        return fail(ErrorCode::kMissingField, join(path, f.name), "required field is missing");
      }
    }
    if (strict()) {
      for (const json::Member& m : v.members()) {
        const bool known = std::any_of(fields.begin(), fields.end(),
                                       [&](const FieldSpec& f) { return f.name == m.first; });
        if (!known) {
          return fail(ErrorCode::kUnknownField, join(path, m.first), "unknown field");
        }
      }
    }
    return true;
  }

  // The field's value, or nullptr when it is absent (or, in a response, null).
  const Value* optional(const Value& obj, std::string_view name) const {
    const Value* v = obj.find(name);
    if (v != nullptr && !strict() && v->isNull()) {
      return nullptr;
    }
    return v;
  }

  bool integer(const Value& obj, std::string_view parent, std::string_view name, int64_t& out,
               int64_t lo = kMinInt, int64_t hi = kMaxInt) {
    const Value* v = obj.find(name);
    if (v == nullptr) {
      return fail(ErrorCode::kMissingField, join(parent, name), "required field is missing");
    }
    if (!v->isInt()) {
      return fail(ErrorCode::kWrongType, join(parent, name), "expected an integer");
    }
    const int64_t i = v->asInt();
    if (i < lo || i > hi) {
      return fail(ErrorCode::kValueOutOfRange, join(parent, name), rangeText(lo, hi));
    }
    out = i;
    return true;
  }

  template <typename Tag>
  bool amount(const Value& obj, std::string_view parent, std::string_view name,
              base::Amount<Tag>& out, int64_t lo = kMinInt, int64_t hi = kMaxInt) {
    int64_t i = 0;
    if (!integer(obj, parent, name, i, lo, hi)) {
      return false;
    }
    out = base::Amount<Tag>(i);
    return true;
  }

  bool optionalInteger(const Value& obj, std::string_view parent, std::string_view name,
                       std::optional<int64_t>& out) {
    const Value* v = optional(obj, name);
    if (v == nullptr) {
      out.reset();
      return true;
    }
    if (!v->isInt()) {
      return fail(ErrorCode::kWrongType, join(parent, name), "expected an integer");
    }
    out = v->asInt();
    return true;
  }

  bool optionalPoints(const Value& obj, std::string_view parent, std::string_view name,
                      std::optional<Points>& out) {
    std::optional<int64_t> i;
    if (!optionalInteger(obj, parent, name, i)) {
      return false;
    }
    out = i ? std::optional<Points>(Points(*i)) : std::nullopt;
    return true;
  }

  // A response field added after the first release: when absent (an older peer, a stored reply),
  // out keeps its default.
  bool laterInteger(const Value& obj, std::string_view parent, std::string_view name,
                    int64_t& out) {
    return optional(obj, name) == nullptr || integer(obj, parent, name, out);
  }

  template <typename Tag>
  bool laterAmount(const Value& obj, std::string_view parent, std::string_view name,
                   base::Amount<Tag>& out) {
    return optional(obj, name) == nullptr || amount(obj, parent, name, out);
  }

  bool laterString(const Value& obj, std::string_view parent, std::string_view name,
                   std::string& out) {
    return optional(obj, name) == nullptr || string(obj, parent, name, out);
  }

  // An optional boolean: false when absent.
  bool optionalBoolean(const Value& obj, std::string_view parent, std::string_view name,
                       bool& out) {
    out = false;
    return optional(obj, name) == nullptr || boolean(obj, parent, name, out);
  }

  bool boolean(const Value& obj, std::string_view parent, std::string_view name, bool& out) {
    const Value* v = obj.find(name);
    if (v == nullptr) {
      return fail(ErrorCode::kMissingField, join(parent, name), "required field is missing");
    }
    if (!v->isBool()) {
      return fail(ErrorCode::kWrongType, join(parent, name), "expected true or false");
    }
    out = v->asBool();
    return true;
  }

  bool string(const Value& obj, std::string_view parent, std::string_view name, std::string& out) {
    const Value* v = obj.find(name);
    if (v == nullptr) {
      return fail(ErrorCode::kMissingField, join(parent, name), "required field is missing");
    }
    if (!v->isString()) {
      return fail(ErrorCode::kWrongType, join(parent, name), "expected a string");
    }
    out = v->asString();
    return true;
  }

  // store, terminal, txn: 1..kMaxIdLength of [A-Za-z0-9_-].
  bool identifier(const Value& obj, std::string_view parent, std::string_view name,
                  std::string& out) {
    if (!string(obj, parent, name, out)) {
      return false;
    }
    if (strict() && (out.empty() || out.size() > kMaxIdLength ||
                     !std::all_of(out.begin(), out.end(), isIdentifierChar))) {
      return fail(ErrorCode::kInvalidValue, join(parent, name),
                  "must be 1 to 32 characters of A-Z a-z 0-9 _ -");
    }
    return true;
  }

  bool businessDate(const Value& obj, std::string_view parent, std::string_view name,
                    std::string& out) {
    if (!string(obj, parent, name, out)) {
      return false;
    }
    if (strict() && !isValidBusinessDate(out)) {
      return fail(ErrorCode::kInvalidValue, join(parent, name),
                  "must be a calendar date YYYY-MM-DD between 2000-01-01 and 2999-12-31");
    }
    return true;
  }

  bool card(const Value& obj, std::string_view parent, std::string_view name, std::string& out) {
    if (!string(obj, parent, name, out)) {
      return false;
    }
    if (strict() && !isValidCard(out)) {
      return fail(ErrorCode::kInvalidCard, join(parent, name),
                  "must be 13 to 19 digits ending in a valid Luhn check digit");
    }
    return true;
  }

  const std::vector<Value>* array(const Value& obj, std::string_view parent,
                                  std::string_view name) {
    const Value* v = obj.find(name);
    if (v == nullptr) {
      fail(ErrorCode::kMissingField, join(parent, name), "required field is missing");
      return nullptr;
    }
    if (!v->isArray()) {
      fail(ErrorCode::kWrongType, join(parent, name), "expected an array");
      return nullptr;
    }
    return &v->items();
  }

  bool stringArray(const Value& obj, std::string_view parent, std::string_view name,
                   std::vector<std::string>& out) {
    const std::vector<Value>* items = array(obj, parent, name);
    if (items == nullptr) {
      return false;
    }
    out.clear();
    out.reserve(items->size());
    for (size_t i = 0; i < items->size(); ++i) {
      const Value& item = (*items)[i];
      if (!item.isString()) {
        return fail(ErrorCode::kWrongType, indexPath(parent, name, i), "expected a string");
      }
      out.push_back(item.asString());
    }
    return true;
  }

 private:
  Mode mode_;
  Value root_;
  Error error_;
};

// ---------------------------------------------------------------------------------------------
// Request parts

constexpr FieldSpec kStore{"store", true};
constexpr FieldSpec kTerminal{"terminal", true};
constexpr FieldSpec kBusinessDate{"business_date", true};
constexpr FieldSpec kTxn{"txn", true};

bool readKey(Decoder& d, const Value& obj, std::string_view path, TransactionKey& key) {
  return d.identifier(obj, path, "store", key.store) &&
         d.identifier(obj, path, "terminal", key.terminal) &&
         d.businessDate(obj, path, "business_date", key.businessDate) &&
         d.identifier(obj, path, "txn", key.txn);
}

// Checks the element count of a request's line array: 1..kMaxLines.
bool checkLineCount(Decoder& d, const std::vector<Value>& items, std::string_view path) {
  if (items.empty()) {
    return d.fail(ErrorCode::kInvalidValue, path, "must have at least one line");
  }
  if (items.size() > kMaxLines) {
    return d.fail(ErrorCode::kTooManyLines, path,
                  "more than " + std::to_string(kMaxLines) + " lines");
  }
  return true;
}

// Line numbers seen so far, kept sorted; false when `line` was already there.
bool insertUnique(std::vector<int64_t>& seen, int64_t line) {
  const auto it = std::lower_bound(seen.begin(), seen.end(), line);
  if (it != seen.end() && *it == line) {
    return false;
  }
  seen.insert(it, line);
  return true;
}

bool readBasketLines(Decoder& d, const Value& obj, std::vector<BasketLine>& lines) {
  const std::vector<Value>* items = d.array(obj, "", "lines");
  if (items == nullptr || !checkLineCount(d, *items, "lines")) {
    return false;
  }
  lines.clear();
  lines.reserve(items->size());
  std::vector<int64_t> seen;
  seen.reserve(items->size());
  int64_t total = 0;
  for (size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    const std::string path = indexPath("", "lines", i);
    BasketLine line;
    if (!d.object(item, path,
                  {{"line", true}, {"sku", true}, {"quantity", true}, {"unit_price", true}}) ||
        !d.integer(item, path, "line", line.line, 1, kMaxLineNumber)) {
      return false;
    }
    if (!insertUnique(seen, line.line)) {
      return d.fail(ErrorCode::kDuplicateLine, join(path, "line"),
                    "line number " + std::to_string(line.line) + " appears twice");
    }
    if (!d.string(item, path, "sku", line.sku)) {
      return false;
    }
    if (line.sku.empty() || line.sku.size() > kMaxSkuLength || !isPrintableAscii(line.sku)) {
      return d.fail(ErrorCode::kInvalidValue, join(path, "sku"),
                    "must be 1 to 64 printable ASCII characters without spaces");
    }
    if (!d.integer(item, path, "quantity", line.quantity, 1, kMaxQuantity) ||
        !d.amount(item, path, "unit_price", line.unitPrice, 0, kMaxUnitPrice)) {
      return false;
    }
    total += line.quantity * line.unitPrice.value();  // bounded by the limits: no overflow
    lines.push_back(std::move(line));
  }
  if (total > kMaxBasketTotal) {
    return d.fail(ErrorCode::kTotalOutOfRange, "lines",
                  "basket total exceeds " + std::to_string(kMaxBasketTotal));
  }
  return true;
}

bool readTenders(Decoder& d, const Value& obj, std::vector<Tender>& tenders) {
  tenders.clear();
  if (obj.find("tenders") == nullptr) {
    return true;
  }
  const std::vector<Value>* items = d.array(obj, "", "tenders");
  if (items == nullptr) {
    return false;
  }
  if (items->size() > kMaxTenders) {
    return d.fail(ErrorCode::kTooManyLines, "tenders",
                  "more than " + std::to_string(kMaxTenders) + " tenders");
  }
  tenders.reserve(items->size());
  int64_t total = 0;
  for (size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    const std::string path = indexPath("", "tenders", i);
    Tender tender;
    if (!d.object(item, path, {{"type", true}, {"amount", true}}) ||
        !d.string(item, path, "type", tender.type)) {
      return false;
    }
    const size_t length = utf8Length(tender.type);
    if (length == 0 || length > kMaxTextLength || hasControlCharacter(tender.type)) {
      return d.fail(ErrorCode::kInvalidValue, join(path, "type"),
                    "must be 1 to 128 characters without control characters");
    }
    if (!d.amount(item, path, "amount", tender.amount, 0, kMaxBasketTotal)) {
      return false;
    }
    total += tender.amount.value();  // at most 20 x 10^10: no overflow
    tenders.push_back(std::move(tender));
  }
  if (total > kMaxBasketTotal) {
    return d.fail(ErrorCode::kTotalOutOfRange, "tenders",
                  "tender total exceeds " + std::to_string(kMaxBasketTotal));
  }
  return true;
}

bool readCouponCodes(Decoder& d, const Value& obj, std::vector<std::string>& coupons) {
  coupons.clear();
  if (obj.find("coupons") == nullptr) {
    return true;
  }
  const std::vector<Value>* items = d.array(obj, "", "coupons");
  if (items == nullptr) {
    return false;
  }
  if (items->size() > kMaxCouponCodes) {
    return d.fail(ErrorCode::kTooManyLines, "coupons",
                  "more than " + std::to_string(kMaxCouponCodes) + " coupon codes");
  }
  coupons.reserve(items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    if (!item.isString()) {
      return d.fail(ErrorCode::kWrongType, indexPath("", "coupons", i), "expected a string");
    }
    const std::string& code = item.asString();
    if (code.empty() || code.size() > kMaxCouponCodeLength || !isPrintableAscii(code)) {
      return d.fail(ErrorCode::kInvalidValue, indexPath("", "coupons", i),
                    "must be 1 to " + std::to_string(kMaxCouponCodeLength) +
                        " printable ASCII characters without spaces");
    }
    coupons.push_back(code);
  }
  return true;
}

// redeem_points: optional, 1..kMaxRedeemPoints.
bool readRedeemPoints(Decoder& d, const Value& obj, std::optional<Points>& out) {
  out.reset();
  if (obj.find("redeem_points") == nullptr) {
    return true;
  }
  Points points;
  if (!d.amount(obj, "", "redeem_points", points, 1, kMaxRedeemPoints)) {
    return false;
  }
  out = points;
  return true;
}

bool readRefundLines(Decoder& d, const Value& obj, std::vector<RefundLine>& lines) {
  const std::vector<Value>* items = d.array(obj, "", "lines");
  if (items == nullptr || !checkLineCount(d, *items, "lines")) {
    return false;
  }
  lines.clear();
  lines.reserve(items->size());
  std::vector<int64_t> seen;
  seen.reserve(items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    const std::string path = indexPath("", "lines", i);
    RefundLine line;
    if (!d.object(item, path, {{"line", true}, {"quantity", true}}) ||
        !d.integer(item, path, "line", line.line, 1, kMaxLineNumber)) {
      return false;
    }
    if (!insertUnique(seen, line.line)) {
      return d.fail(ErrorCode::kDuplicateLine, join(path, "line"),
                    "line number " + std::to_string(line.line) + " appears twice");
    }
    if (!d.integer(item, path, "quantity", line.quantity, 1, kMaxQuantity)) {
      return false;
    }
    lines.push_back(line);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Encoding parts

void writeKeyFields(json::Writer& w, const TransactionKey& key) {
  w.key("store");
  w.value(key.store);
  w.key("terminal");
  w.value(key.terminal);
  w.key("business_date");
  w.value(key.businessDate);
  w.key("txn");
  w.value(key.txn);
}

void writeBasketLines(json::Writer& w, const std::vector<BasketLine>& lines) {
  w.key("lines");
  w.beginArray();
  for (const BasketLine& l : lines) {
    w.beginObject();
    w.key("line");
    w.value(l.line);
    w.key("sku");
    w.value(l.sku);
    w.key("quantity");
    w.value(l.quantity);
    w.key("unit_price");
    w.value(l.unitPrice.value());
    w.endObject();
  }
  w.endArray();
}

void writeStrings(json::Writer& w, std::string_view name, const std::vector<std::string>& items) {
  w.key(name);
  w.beginArray();
  for (const std::string& s : items) {
    w.value(s);
  }
  w.endArray();
}

template <typename T>
void writeOptional(json::Writer& w, std::string_view name, const std::optional<T>& v) {
  if (!v) {
    return;
  }
  w.key(name);
  if constexpr (std::is_same_v<T, int64_t>) {
    w.value(*v);
  } else {
    w.value(v->value());
  }
}

void writeDiscounts(json::Writer& w, const std::vector<DiscountLine>& discounts) {
  w.key("discounts");
  w.beginArray();
  for (const DiscountLine& l : discounts) {
    w.beginObject();
    w.key("line");
    w.value(l.line);
    w.key("amount");
    w.value(l.amount.value());
    w.key("kind");
    w.value(l.kind);
    w.key("description");
    w.value(l.description);
    w.key("coupon");
    w.value(l.coupon);
    w.endObject();
  }
  w.endArray();
}

// The "discounts" array of a price or commit response (lenient decoding).
bool readDiscounts(Decoder& d, const Value& obj, std::vector<DiscountLine>& out) {
  const std::vector<Value>* items = d.array(obj, "", "discounts");
  if (items == nullptr) {
    return false;
  }
  out.clear();
  out.reserve(items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    const std::string path = indexPath("", "discounts", i);
    DiscountLine line;
    if (!d.object(item, path,
                  {{"line", true},
                   {"amount", true},
                   {"kind", false},
                   {"description", true},
                   {"coupon", true}}) ||
        !d.integer(item, path, "line", line.line) || !d.amount(item, path, "amount", line.amount) ||
        !d.laterString(item, path, "kind", line.kind) ||
        !d.string(item, path, "description", line.description) ||
        !d.string(item, path, "coupon", line.coupon)) {
      return false;
    }
    out.push_back(std::move(line));
  }
  return true;
}

// Reward fields in documented order, and which kinds use them.
struct RewardField {
  std::string_view name;
  bool amountOff;
  bool percentOff;
  bool buyXGetY;
  bool bonusPoints;
  bool required;  // for the kinds that use it
};

constexpr RewardField kRewardFields[] = {
    {"amount", true, false, false, false, true},
    {"percent", false, true, false, false, true},
    {"points", false, false, false, true, true},
    {"buy_quantity", false, false, true, false, true},
    {"get_quantity", false, false, true, false, true},
    {"max_groups", false, false, true, false, false},
    {"min_quantity", true, true, true, true, false},
    {"min_spend", true, true, true, true, false},
};

bool usedBy(const RewardField& field, offers::RewardKind kind) {
  switch (kind) {
    case offers::RewardKind::kAmountOff:
      return field.amountOff;
    case offers::RewardKind::kPercentOff:
      return field.percentOff;
    case offers::RewardKind::kBuyXGetY:
      return field.buyXGetY;
    case offers::RewardKind::kBonusPoints:
      return field.bonusPoints;
  }
  return false;
}

// An enumeration-valued string field ("kind", "target").
template <typename Enum>
bool readEnum(Decoder& d, const Value& obj, std::string_view path, std::string_view name,
              std::optional<Enum> (*parse)(std::string_view), std::string_view allowed,
              Enum& out) {
  std::string text;
  if (!d.string(obj, path, name, text)) {
    return false;
  }
  const std::optional<Enum> parsed = parse(text);
  if (!parsed) {
    return d.fail(ErrorCode::kInvalidValue, join(path, name),
                  "must be one of " + std::string(allowed));
  }
  out = *parsed;
  return true;
}

// openSku: a reward template whose product is chosen per shopper (personalized campaigns): target
// "sku" may then come without a value.
bool readReward(Decoder& d, const Value& v, const std::string& path, offers::Reward& reward,
                bool openSku = false) {
  using offers::RewardKind;
  using offers::TargetKind;
  if (!v.isObject()) {
    return d.fail(ErrorCode::kWrongType, path, "expected an object");
  }
  if (v.find("kind") == nullptr) {
    return d.fail(ErrorCode::kMissingField, join(path, "kind"), "required field is missing");
  }
  if (!readEnum<RewardKind>(d, v, path, "kind", &offers::parseRewardKind,
                            "amount_off, percent_off, buy_x_get_y, bonus_points",
                            reward.kind)) {
    return false;
  }
  if (v.find("target") == nullptr) {
    return d.fail(ErrorCode::kMissingField, join(path, "target"), "required field is missing");
  }
  if (!readEnum<TargetKind>(d, v, path, "target", &offers::parseTargetKind,
                            "sku, category, basket", reward.target)) {
    return false;
  }
  const bool open = openSku && reward.target == TargetKind::kSku && v.find("value") == nullptr;
  const bool hasValue = reward.target != TargetKind::kBasket && !open;
  if (hasValue && v.find("value") == nullptr) {
    return d.fail(ErrorCode::kMissingField, join(path, "value"), "required field is missing");
  }
  for (const RewardField& f : kRewardFields) {
    if (usedBy(f, reward.kind) && f.required && v.find(f.name) == nullptr) {
      return d.fail(ErrorCode::kMissingField, join(path, f.name), "required field is missing");
    }
  }
  for (const json::Member& m : v.members()) {
    if (m.first == "kind" || m.first == "target" || (m.first == "value" && hasValue)) {
      continue;
    }
    if (m.first == "value") {
      return d.fail(ErrorCode::kUnknownField, join(path, m.first),
                    "not allowed for target basket");
    }
    const auto field = std::find_if(std::begin(kRewardFields), std::end(kRewardFields),
                                    [&](const RewardField& f) { return f.name == m.first; });
    if (field == std::end(kRewardFields)) {
      return d.fail(ErrorCode::kUnknownField, join(path, m.first), "unknown field");
    }
    if (!usedBy(*field, reward.kind)) {
      return d.fail(ErrorCode::kUnknownField, join(path, m.first),
                    std::string("not allowed for kind ") + offers::rewardKindName(reward.kind));
    }
  }
  if (hasValue && !d.string(v, path, "value", reward.value)) {
    return false;
  }
  const auto optionalField = [&](std::string_view name, int64_t& out, int64_t lo, int64_t hi) {
    return v.find(name) == nullptr || d.integer(v, path, name, out, lo, hi);
  };
  int64_t amount = 0;
  int64_t points = 0;
  int64_t minSpend = 0;
  if (!optionalField("amount", amount, 1, offers::kMaxRewardAmount) ||
      !optionalField("percent", reward.percent, 1, 100) ||
      !optionalField("points", points, 1, offers::kMaxRewardPoints) ||
      !optionalField("buy_quantity", reward.buyQuantity, 1, offers::kMaxGroupQuantity) ||
      !optionalField("get_quantity", reward.getQuantity, 1, offers::kMaxGroupQuantity) ||
      !optionalField("max_groups", reward.maxGroups, 0, offers::kMaxGroupQuantity) ||
      !optionalField("min_quantity", reward.minQuantity, 0, offers::kMaxGroupQuantity) ||
      !optionalField("min_spend", minSpend, 0, offers::kMaxRewardAmount)) {
    return false;
  }
  reward.amount = Money(amount);
  reward.points = Points(points);
  reward.minSpend = Money(minSpend);
  offers::Reward checked = reward;
  if (open) {
    checked.value = "SKU";  // any product: the shopper's is chosen at the till
  }
  const base::Status valid = offers::validate(checked);
  if (!valid.ok()) {
    // validate() names fields "reward.<field>"; name them from `path` instead.
    std::string message = valid.error().message;
    constexpr std::string_view kPrefix = "reward.";
    if (message.compare(0, kPrefix.size(), kPrefix) == 0) {
      message = path.empty() ? message.substr(kPrefix.size())
                             : path + "." + message.substr(kPrefix.size());
    }
    return d.failWith(base::makeError(valid.error().code, std::move(message)));
  }
  return true;
}

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t hash = 14695981039346656037ULL;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace

// -----------------------------------------------------------------------------------------------
// Business date

bool isValidBusinessDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') {
    return false;
  }
  for (const size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
  }
  const auto number = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  const int year = number(0, 4);
  const int month = number(5, 2);
  const int day = number(8, 2);
  if (year < 2000 || year > 2999 || month < 1 || month > 12 || day < 1) {
    return false;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int monthDays = (month == 2 && leap) ? 29 : kDays[month - 1];
  return day <= monthDays;
}

// -----------------------------------------------------------------------------------------------
// Requests

Result<IdentifyRequest> decodeIdentifyRequest(std::string_view body) {
  Decoder d(Mode::kRequest);
  const Value* root = d.parse(body);
  IdentifyRequest m;
  if (root == nullptr ||
      !d.object(*root, "", {{"card", true}, {"store", true}, {"terminal", true}}) ||
      !d.card(*root, "", "card", m.card) || !d.identifier(*root, "", "store", m.store) ||
      !d.identifier(*root, "", "terminal", m.terminal)) {
    return d.error();
  }
  return m;
}

Result<PriceRequest> decodePriceRequest(std::string_view body) {
  Decoder d(Mode::kRequest);
  const Value* root = d.parse(body);
  PriceRequest m;
  if (root == nullptr ||
      !d.object(*root, "",
                {kStore,
                 kTerminal,
                 kBusinessDate,
                 kTxn,
                 {"card", true},
                 {"lines", true},
                 {"coupons", false},
                 {"redeem_points", false}}) ||
      !readKey(d, *root, "", m.key) || !d.card(*root, "", "card", m.card) ||
      !readBasketLines(d, *root, m.lines) || !readCouponCodes(d, *root, m.coupons) ||
      !readRedeemPoints(d, *root, m.redeemPoints)) {
    return d.error();
  }
  return m;
}

Result<CommitRequest> decodeCommitRequest(std::string_view body) {
  Decoder d(Mode::kRequest);
  const Value* root = d.parse(body);
  CommitRequest m;
  if (root == nullptr ||
      !d.object(*root, "",
                {kStore,
                 kTerminal,
                 kBusinessDate,
                 kTxn,
                 {"card", true},
                 {"lines", true},
                 {"tenders", false},
                 {"coupons", false},
                 {"redeem_points", false},
                 {"offline_coupons", false}}) ||
      !readKey(d, *root, "", m.key) || !d.card(*root, "", "card", m.card) ||
      !readBasketLines(d, *root, m.lines) || !readTenders(d, *root, m.tenders) ||
      !readCouponCodes(d, *root, m.coupons) || !readRedeemPoints(d, *root, m.redeemPoints) ||
      !d.optionalBoolean(*root, "", "offline_coupons", m.offlineCoupons)) {
    return d.error();
  }
  return m;
}

Result<VoidRequest> decodeVoidRequest(std::string_view body) {
  Decoder d(Mode::kRequest);
  const Value* root = d.parse(body);
  VoidRequest m;
  if (root == nullptr || !d.object(*root, "", {kStore, kTerminal, kBusinessDate, kTxn}) ||
      !readKey(d, *root, "", m.key)) {
    return d.error();
  }
  return m;
}

Result<RefundRequest> decodeRefundRequest(std::string_view body) {
  Decoder d(Mode::kRequest);
  const Value* root = d.parse(body);
  RefundRequest m;
  if (root == nullptr ||
      !d.object(*root, "",
                {kStore, kTerminal, kBusinessDate, kTxn, {"original", true}, {"lines", true}}) ||
      !readKey(d, *root, "", m.key)) {
    return d.error();
  }
  const Value& original = *root->find("original");
  if (!d.object(original, "original", {kStore, kTerminal, kBusinessDate, kTxn}) ||
      !readKey(d, original, "original", m.original) || !readRefundLines(d, *root, m.lines)) {
    return d.error();
  }
  return m;
}

std::string encode(const IdentifyRequest& m) {
  json::Writer w;
  w.beginObject();
  w.key("card");
  w.value(m.card);
  w.key("store");
  w.value(m.store);
  w.key("terminal");
  w.value(m.terminal);
  w.endObject();
  return w.take();
}

std::string encode(const PriceRequest& m) {
  json::Writer w;
  w.beginObject();
  writeKeyFields(w, m.key);
  w.key("card");
  w.value(m.card);
  writeBasketLines(w, m.lines);
  if (!m.coupons.empty()) {
    writeStrings(w, "coupons", m.coupons);
  }
  writeOptional(w, "redeem_points", m.redeemPoints);
  w.endObject();
  return w.take();
}

std::string encode(const CommitRequest& m) {
  json::Writer w;
  w.beginObject();
  writeKeyFields(w, m.key);
  w.key("card");
  w.value(m.card);
  writeBasketLines(w, m.lines);
  if (!m.tenders.empty()) {
    w.key("tenders");
    w.beginArray();
    for (const Tender& t : m.tenders) {
      w.beginObject();
      w.key("type");
      w.value(t.type);
      w.key("amount");
      w.value(t.amount.value());
      w.endObject();
    }
    w.endArray();
  }
  if (!m.coupons.empty()) {
    writeStrings(w, "coupons", m.coupons);
  }
  writeOptional(w, "redeem_points", m.redeemPoints);
  if (m.offlineCoupons) {
    w.key("offline_coupons");
    w.value(true);
  }
  w.endObject();
  return w.take();
}

std::string encode(const VoidRequest& m) {
  json::Writer w;
  w.beginObject();
  writeKeyFields(w, m.key);
  w.endObject();
  return w.take();
}

std::string encode(const RefundRequest& m) {
  json::Writer w;
  w.beginObject();
  writeKeyFields(w, m.key);
  w.key("original");
  w.beginObject();
  writeKeyFields(w, m.original);
  w.endObject();
  w.key("lines");
  w.beginArray();
  for (const RefundLine& l : m.lines) {
    w.beginObject();
    w.key("line");
    w.value(l.line);
    w.key("quantity");
    w.value(l.quantity);
    w.endObject();
  }
  w.endArray();
  w.endObject();
  return w.take();
}

// -----------------------------------------------------------------------------------------------
// Rewards

void encodeReward(json::Writer& w, const offers::Reward& reward) {
  using offers::RewardKind;
  w.beginObject();
  w.key("kind");
  w.value(offers::rewardKindName(reward.kind));
  w.key("target");
  w.value(offers::targetKindName(reward.target));
  if (reward.target != offers::TargetKind::kBasket && !reward.value.empty()) {
    w.key("value");
    w.value(reward.value);
  }
  switch (reward.kind) {
    case RewardKind::kAmountOff:
      w.key("amount");
      w.value(reward.amount.value());
      break;
    case RewardKind::kPercentOff:
      w.key("percent");
      w.value(reward.percent);
      break;
    case RewardKind::kBonusPoints:
      w.key("points");
      w.value(reward.points.value());
      break;
    case RewardKind::kBuyXGetY:
      w.key("buy_quantity");
      w.value(reward.buyQuantity);
      w.key("get_quantity");
      w.value(reward.getQuantity);
      if (reward.maxGroups != 0) {
        w.key("max_groups");
        w.value(reward.maxGroups);
      }
      break;
  }
  if (reward.minQuantity != 0) {
    w.key("min_quantity");
    w.value(reward.minQuantity);
  }
  if (reward.minSpend.value() != 0) {
    w.key("min_spend");
    w.value(reward.minSpend.value());
  }
  w.endObject();
}

Result<offers::Reward> decodeReward(const json::Value& value, const std::string& path) {
  Decoder d(Mode::kRequest);
  offers::Reward reward;
  if (!readReward(d, value, path, reward)) {
    return d.error();
  }
  return reward;
}

Result<offers::Reward> decodeRewardTemplate(const json::Value& value, const std::string& path) {
  Decoder d(Mode::kRequest);
  offers::Reward reward;
  if (!readReward(d, value, path, reward, true)) {
    return d.error();
  }
  return reward;
}

uint64_t fingerprint(const CommitRequest& m) { return fnv1a64(encode(m)); }

uint64_t fingerprint(const RefundRequest& m) { return fnv1a64(encode(m)); }

// -----------------------------------------------------------------------------------------------
// Responses

Result<IdentifyResponse> decodeIdentifyResponse(std::string_view body) {
  Decoder d(Mode::kResponse);
  const Value* root = d.parse(body);
  IdentifyResponse m;
  if (root == nullptr ||
      !d.object(*root, "",
                {{"customer_id", true},
                 {"new_customer", true},
                 {"tier", true},
                 {"points_balance", false},
                 {"coupons", true},
                 {"offline", true}}) ||
      !d.integer(*root, "", "customer_id", m.customerId) ||
      !d.boolean(*root, "", "new_customer", m.newCustomer) ||
      !d.string(*root, "", "tier", m.tier) ||
      !d.optionalPoints(*root, "", "points_balance", m.pointsBalance) ||
      !d.integer(*root, "", "coupons", m.coupons) || !d.boolean(*root, "", "offline", m.offline)) {
    return d.error();
  }
  return m;
}

std::string encode(const IdentifyResponse& m) {
  json::Writer w;
  w.beginObject();
  w.key("customer_id");
  w.value(m.customerId);
  w.key("new_customer");
  w.value(m.newCustomer);
  w.key("tier");
  w.value(m.tier);
  writeOptional(w, "points_balance", m.pointsBalance);
  w.key("coupons");
  w.value(m.coupons);
  w.key("offline");
  w.value(m.offline);
  w.endObject();
  return w.take();
}

Result<PriceResponse> decodePriceResponse(std::string_view body) {
  Decoder d(Mode::kResponse);
  const Value* root = d.parse(body);
  PriceResponse m;
  if (root == nullptr ||
      !d.object(*root, "",
                {{"subtotal", true},
                 {"discounts", true},
                 {"total", true},
                 {"points_preview", false},
                 {"coupons", true},
                 {"points_redeemed", false},
                 {"offline", true}}) ||
      !d.amount(*root, "", "subtotal", m.subtotal) || !readDiscounts(d, *root, m.discounts)) {
    return d.error();
  }
  if (!d.amount(*root, "", "total", m.total) ||
      !d.optionalPoints(*root, "", "points_preview", m.pointsPreview)) {
    return d.error();
  }
  const std::vector<Value>* coupons = d.array(*root, "", "coupons");
  if (coupons == nullptr) {
    return d.error();
  }
  for (size_t i = 0; i < coupons->size(); ++i) {
    const Value& item = (*coupons)[i];
    const std::string path = indexPath("", "coupons", i);
    CouponDecision decision;
    if (!d.object(item, path,
                  {{"code", true},
                   {"accepted", true},
                   {"reason", true},
                   {"message", false},
                   {"discount", false},
                   {"bonus_points", false}}) ||
        !d.string(item, path, "code", decision.code) ||
        !d.boolean(item, path, "accepted", decision.accepted) ||
        !d.string(item, path, "reason", decision.reason) ||
        !d.laterString(item, path, "message", decision.message) ||
        !d.laterAmount(item, path, "discount", decision.discount) ||
        !d.laterAmount(item, path, "bonus_points", decision.bonusPoints)) {
      return d.error();
    }
    m.coupons.push_back(std::move(decision));
  }
  if (!d.optionalPoints(*root, "", "points_redeemed", m.pointsRedeemed) ||
      !d.boolean(*root, "", "offline", m.offline)) {
    return d.error();
  }
  return m;
}

std::string encode(const PriceResponse& m) {
  json::Writer w;
  w.beginObject();
  w.key("subtotal");
  w.value(m.subtotal.value());
  writeDiscounts(w, m.discounts);
  w.key("total");
  w.value(m.total.value());
  writeOptional(w, "points_preview", m.pointsPreview);
  w.key("coupons");
  w.beginArray();
  for (const CouponDecision& c : m.coupons) {
    w.beginObject();
    w.key("code");
    w.value(c.code);
    w.key("accepted");
    w.value(c.accepted);
    w.key("reason");
    w.value(c.reason);
    w.key("message");
    w.value(c.message);
    w.key("discount");
    w.value(c.discount.value());
    w.key("bonus_points");
    w.value(c.bonusPoints.value());
    w.endObject();
  }
  w.endArray();
  writeOptional(w, "points_redeemed", m.pointsRedeemed);
  w.key("offline");
  w.value(m.offline);
  w.endObject();
  return w.take();
}

Result<CommitResponse> decodeCommitResponse(std::string_view body) {
  Decoder d(Mode::kResponse);
  const Value* root = d.parse(body);
  CommitResponse m;
  if (root == nullptr ||
      !d.object(*root, "",
                {{"status", true},
                 {"sale_id", false},
                 {"total", true},
                 {"points_earned", false},
                 {"points_balance", false},
                 {"receipt", true},
                 {"coupons", true},
                 {"discounts", false},
                 {"points_redeemed", false}}) ||
      !d.string(*root, "", "status", m.status) ||
      !d.optionalInteger(*root, "", "sale_id", m.saleId) ||
      !d.amount(*root, "", "total", m.total) ||
      !d.optionalPoints(*root, "", "points_earned", m.pointsEarned) ||
      !d.optionalPoints(*root, "", "points_balance", m.pointsBalance) ||
      !d.stringArray(*root, "", "receipt", m.receipt)) {
    return d.error();
  }
  const std::vector<Value>* coupons = d.array(*root, "", "coupons");
  if (coupons == nullptr) {
    return d.error();
  }
  for (size_t i = 0; i < coupons->size(); ++i) {
    const Value& item = (*coupons)[i];
    const std::string path = indexPath("", "coupons", i);
    PrintedCoupon coupon;
    if (!d.object(item, path, {{"code", true}, {"description", true}, {"expires", true}}) ||
        !d.string(item, path, "code", coupon.code) ||
        !d.string(item, path, "description", coupon.description) ||
        !d.string(item, path, "expires", coupon.expires)) {
      return d.error();
    }
    m.coupons.push_back(std::move(coupon));
  }
  if ((d.optional(*root, "discounts") != nullptr && !readDiscounts(d, *root, m.discounts)) ||
      !d.optionalPoints(*root, "", "points_redeemed", m.pointsRedeemed)) {
    return d.error();
  }
  return m;
}

std::string encode(const CommitResponse& m) {
  json::Writer w;
  w.beginObject();
  w.key("status");
  w.value(m.status);
  writeOptional(w, "sale_id", m.saleId);
  w.key("total");
  w.value(m.total.value());
  writeOptional(w, "points_earned", m.pointsEarned);
  writeOptional(w, "points_balance", m.pointsBalance);
  writeStrings(w, "receipt", m.receipt);
  w.key("coupons");
  w.beginArray();
  for (const PrintedCoupon& c : m.coupons) {
    w.beginObject();
    w.key("code");
    w.value(c.code);
    w.key("description");
    w.value(c.description);
    w.key("expires");
    w.value(c.expires);
    w.endObject();
  }
  w.endArray();
  writeDiscounts(w, m.discounts);
  writeOptional(w, "points_redeemed", m.pointsRedeemed);
  w.endObject();
  return w.take();
}

Result<RefundResponse> decodeRefundResponse(std::string_view body) {
  Decoder d(Mode::kResponse);
  const Value* root = d.parse(body);
  RefundResponse m;
  if (root == nullptr ||
      !d.object(*root, "",
                {{"status", true},
                 {"refund_id", false},
                 {"amount_refunded", true},
                 {"points_reversed", false},
                 {"points_returned", false},
                 {"points_balance", false},
                 {"coupons_returned", false},
                 {"receipt", true}}) ||
      !d.string(*root, "", "status", m.status) ||
      !d.optionalInteger(*root, "", "refund_id", m.refundId) ||
      !d.amount(*root, "", "amount_refunded", m.amountRefunded) ||
      !d.optionalPoints(*root, "", "points_reversed", m.pointsReversed) ||
      !d.optionalPoints(*root, "", "points_returned", m.pointsReturned) ||
      !d.optionalPoints(*root, "", "points_balance", m.pointsBalance) ||
      !d.laterInteger(*root, "", "coupons_returned", m.couponsReturned) ||
      !d.stringArray(*root, "", "receipt", m.receipt)) {
    return d.error();
  }
  return m;
}

std::string encode(const RefundResponse& m) {
  json::Writer w;
  w.beginObject();
  w.key("status");
  w.value(m.status);
  writeOptional(w, "refund_id", m.refundId);
  w.key("amount_refunded");
  w.value(m.amountRefunded.value());
  writeOptional(w, "points_reversed", m.pointsReversed);
  writeOptional(w, "points_returned", m.pointsReturned);
  writeOptional(w, "points_balance", m.pointsBalance);
  w.key("coupons_returned");
  w.value(m.couponsReturned);
  writeStrings(w, "receipt", m.receipt);
  w.endObject();
  return w.take();
}

Result<CustomerHistory> decodeCustomerHistory(std::string_view body) {
  Decoder d(Mode::kResponse);
  const Value* root = d.parse(body);
  CustomerHistory m;
  if (root == nullptr ||
      !d.object(*root, "",
                {{"customer_id", true},
                 {"tier", true},
                 {"points_balance", true},
                 {"enrolled_at_ms", true},
                 {"sales", true},
                 {"ledger", true}}) ||
      !d.integer(*root, "", "customer_id", m.customerId) || !d.string(*root, "", "tier", m.tier) ||
      !d.amount(*root, "", "points_balance", m.pointsBalance) ||
      !d.integer(*root, "", "enrolled_at_ms", m.enrolledAtMs)) {
    return d.error();
  }
  const std::vector<Value>* sales = d.array(*root, "", "sales");
  if (sales == nullptr) {
    return d.error();
  }
  m.sales.reserve(sales->size());
  for (size_t i = 0; i < sales->size(); ++i) {
    const Value& item = (*sales)[i];
    const std::string path = indexPath("", "sales", i);
    HistorySale sale;
    if (!d.object(item, path,
                  {{"sale_id", true},
                   kStore,
                   kTerminal,
                   kBusinessDate,
                   kTxn,
                   {"total", true},
                   {"points_earned", true},
                   {"created_at_ms", true},
                   {"lines", true}}) ||
        !d.integer(item, path, "sale_id", sale.saleId) || !readKey(d, item, path, sale.key) ||
        !d.amount(item, path, "total", sale.total) ||
        !d.amount(item, path, "points_earned", sale.pointsEarned) ||
        !d.integer(item, path, "created_at_ms", sale.createdAtMs)) {
      return d.error();
    }
    const std::vector<Value>* lines = d.array(item, path, "lines");
    if (lines == nullptr) {
      return d.error();
    }
    sale.lines.reserve(lines->size());
    for (size_t j = 0; j < lines->size(); ++j) {
      const Value& lineValue = (*lines)[j];
      const std::string linePath = indexPath(path, "lines", j);
      HistoryLine line;
      if (!d.object(lineValue, linePath,
                    {{"line", true},
                     {"sku", true},
                     {"quantity", true},
                     {"unit_price", true},
                     {"refunded_quantity", true}}) ||
          !d.integer(lineValue, linePath, "line", line.line) ||
          !d.string(lineValue, linePath, "sku", line.sku) ||
          !d.integer(lineValue, linePath, "quantity", line.quantity) ||
          !d.amount(lineValue, linePath, "unit_price", line.unitPrice) ||
          !d.integer(lineValue, linePath, "refunded_quantity", line.refundedQuantity)) {
        return d.error();
      }
      sale.lines.push_back(std::move(line));
    }
    m.sales.push_back(std::move(sale));
  }
  const std::vector<Value>* ledger = d.array(*root, "", "ledger");
  if (ledger == nullptr) {
    return d.error();
  }
  m.ledger.reserve(ledger->size());
  for (size_t i = 0; i < ledger->size(); ++i) {
    const Value& item = (*ledger)[i];
    const std::string path = indexPath("", "ledger", i);
    HistoryLedgerEntry entry;
    if (!d.object(item, path,
                  {{"entry_id", true},
                   {"kind", true},
                   {"points", true},
                   {"sale_id", false},
                   {"refund_id", false},
                   {"created_at_ms", true}}) ||
        !d.integer(item, path, "entry_id", entry.entryId) ||
        !d.string(item, path, "kind", entry.kind) ||
        !d.amount(item, path, "points", entry.points) ||
        !d.optionalInteger(item, path, "sale_id", entry.saleId) ||
        !d.optionalInteger(item, path, "refund_id", entry.refundId) ||
        !d.integer(item, path, "created_at_ms", entry.createdAtMs)) {
      return d.error();
    }
    m.ledger.push_back(std::move(entry));
  }
  return m;
}

std::string encode(const CustomerHistory& m) {
  json::Writer w;
  w.beginObject();
  w.key("customer_id");
  w.value(m.customerId);
  w.key("tier");
  w.value(m.tier);
  w.key("points_balance");
  w.value(m.pointsBalance.value());
  w.key("enrolled_at_ms");
  w.value(m.enrolledAtMs);
  w.key("sales");
  w.beginArray();
  for (const HistorySale& s : m.sales) {
    w.beginObject();
    w.key("sale_id");
    w.value(s.saleId);
    writeKeyFields(w, s.key);
    w.key("total");
    w.value(s.total.value());
    w.key("points_earned");
    w.value(s.pointsEarned.value());
    w.key("created_at_ms");
    w.value(s.createdAtMs);
    w.key("lines");
    w.beginArray();
    for (const HistoryLine& l : s.lines) {
      w.beginObject();
      w.key("line");
      w.value(l.line);
      w.key("sku");
      w.value(l.sku);
      w.key("quantity");
      w.value(l.quantity);
      w.key("unit_price");
      w.value(l.unitPrice.value());
      w.key("refunded_quantity");
      w.value(l.refundedQuantity);
      w.endObject();
    }
    w.endArray();
    w.endObject();
  }
  w.endArray();
  w.key("ledger");
  w.beginArray();
  for (const HistoryLedgerEntry& e : m.ledger) {
    w.beginObject();
    w.key("entry_id");
    w.value(e.entryId);
    w.key("kind");
    w.value(e.kind);
    w.key("points");
    w.value(e.points.value());
    writeOptional(w, "sale_id", e.saleId);
    writeOptional(w, "refund_id", e.refundId);
    w.key("created_at_ms");
    w.value(e.createdAtMs);
    w.endObject();
  }
  w.endArray();
  w.endObject();
  return w.take();
}

Result<CatalogueImportResponse> decodeCatalogueImportResponse(std::string_view body) {
  Decoder d(Mode::kResponse);
  const Value* root = d.parse(body);
  CatalogueImportResponse m;
  if (root == nullptr || !d.object(*root, "", {{"imported", true}}) ||
      !d.integer(*root, "", "imported", m.imported)) {
    return d.error();
  }
  return m;
}

std::string encode(const CatalogueImportResponse& m) {
  json::Writer w;
  w.beginObject();
  w.key("imported");
  w.value(m.imported);
  w.endObject();
  return w.take();
}

Result<AgentStatus> decodeAgentStatus(std::string_view body) {
  Decoder d(Mode::kResponse);
  const Value* root = d.parse(body);
  AgentStatus m;
  if (root == nullptr ||
      !d.object(*root, "",
                {{"outbox_pending", true},
                 {"delivered", true},
                 {"dead_letters", true},
                 {"core_reachable", true}}) ||
      !d.integer(*root, "", "outbox_pending", m.outboxPending) ||
      !d.integer(*root, "", "delivered", m.delivered) ||
      !d.integer(*root, "", "dead_letters", m.deadLetters) ||
      !d.boolean(*root, "", "core_reachable", m.coreReachable)) {
    return d.error();
  }
  return m;
}

std::string encode(const AgentStatus& m) {
  json::Writer w;
  w.beginObject();
  w.key("outbox_pending");
  w.value(m.outboxPending);
  w.key("delivered");
  w.value(m.delivered);
  w.key("dead_letters");
  w.value(m.deadLetters);
  w.key("core_reachable");
  w.value(m.coreReachable);
  w.endObject();
  return w.take();
}

Result<ErrorBody> decodeErrorBody(std::string_view body) {
  Decoder d(Mode::kResponse);
  const Value* root = d.parse(body);
  ErrorBody m;
  int64_t status = 0;
  if (root == nullptr ||
      !d.object(*root, "",
                {{"type", true},
                 {"title", true},
                 {"status", true},
                 {"code", true},
                 {"detail", true},
                 {"request_id", true}}) ||
      !d.string(*root, "", "type", m.type) || !d.string(*root, "", "title", m.title) ||
      !d.integer(*root, "", "status", status, 100, 599) || !d.string(*root, "", "code", m.code) ||
      !d.string(*root, "", "detail", m.detail) || !d.string(*root, "", "request_id", m.requestId)) {
    return d.error();
  }
  m.status = static_cast<int>(status);
  return m;
}

std::string encode(const ErrorBody& m) {
  json::Writer w;
  w.beginObject();
  w.key("type");
  w.value(m.type);
  w.key("title");
  w.value(m.title);
  w.key("status");
  w.value(m.status);
  w.key("code");
  w.value(m.code);
  w.key("detail");
  w.value(m.detail);
  w.key("request_id");
  w.value(m.requestId);
  w.endObject();
  return w.take();
}

Result<VoidResponse> decodeVoidResponse(std::string_view body) {
  Decoder d(Mode::kResponse);
  const Value* root = d.parse(body);
  VoidResponse m;
  if (root == nullptr || !d.object(*root, "", {{"released", true}}) ||
      !d.integer(*root, "", "released", m.released)) {
    return d.error();
  }
  return m;
}

std::string encode(const VoidResponse& m) {
  json::Writer w;
  w.beginObject();
  w.key("released");
  w.value(m.released);
  w.endObject();
  return w.take();
}

Result<OfferList> decodeOfferList(std::string_view body) {
  Decoder d(Mode::kResponse);
  const Value* root = d.parse(body);
  OfferList m;
  if (root == nullptr || !d.object(*root, "", {{"offers", true}})) {
    return d.error();
  }
  const std::vector<Value>* offers = d.array(*root, "", "offers");
  if (offers == nullptr) {
    return d.error();
  }
  m.offers.reserve(offers->size());
  for (size_t i = 0; i < offers->size(); ++i) {
    const Value& item = (*offers)[i];
    const std::string path = indexPath("", "offers", i);
    Offer offer;
    // The reward is read strictly even in this response: a pos-agent that cannot understand a
    // reward must not compute a different discount from the core's.
    if (!d.object(item, path,
                  {{"campaign", true}, {"name", true}, {"reward", true}, {"stores", true}}) ||
        !d.integer(item, path, "campaign", offer.campaign) ||
        !d.string(item, path, "name", offer.name) ||
        !readReward(d, *item.find("reward"), join(path, "reward"), offer.reward) ||
        !d.stringArray(item, path, "stores", offer.stores)) {
      return d.error();
    }
    m.offers.push_back(std::move(offer));
  }
  return m;
}

std::string encode(const OfferList& m) {
  json::Writer w;
  w.beginObject();
  w.key("offers");
  w.beginArray();
  for (const Offer& o : m.offers) {
    w.beginObject();
    w.key("campaign");
    w.value(o.campaign);
    w.key("name");
    w.value(o.name);
    w.key("reward");
    encodeReward(w, o.reward);
    writeStrings(w, "stores", o.stores);
    w.endObject();
  }
  w.endArray();
  w.endObject();
  return w.take();
}

}  // namespace loyalty::protocol
