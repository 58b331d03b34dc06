#include "admin/admin_json.h"

#include <algorithm>

#include "admin/admin_api.h"
#include "admin/passwords.h"
#include "loyalty/protocol/codec.h"

namespace loyalty::core::admin {
namespace {

using base::ErrorCode;
using domain::rules::EarnRules;
using json::Value;
using json::Writer;

bool isIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool hasControlCharacter(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

void writeOptionalDate(Writer& w, const char* key, const std::optional<std::string>& date) {
  if (date) {
    w.key(key);
    w.value(*date);
  }
}

void writeStrings(Writer& w, const std::vector<std::string>& items) {
  w.beginArray();
  for (const std::string& s : items) {
    w.value(s);
  }
  w.endArray();
}

// A list of store ids (or tier names) at `key`, each checked.
bool readIdList(JsonReader& r, const Value& obj, const std::string& path, std::string_view key,
                std::vector<std::string>& out, bool required = false) {
  if (!r.stringList(obj, path, key, out, required)) {
    return false;
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (!isStoreId(out[i])) {
      return r.fail(ErrorCode::kInvalidValue, JsonReader::index(JsonReader::join(path, key), i),
                    "must be 1 to 32 characters of A-Z a-z 0-9 _ -");
    }
  }
  return true;
}

bool readRole(JsonReader& r, const Value& obj, const std::string& path, std::string_view key,
              std::optional<domain::Role>& out, bool required) {
  if (!required && obj.find(key) == nullptr) {
    return r.ok();
  }
  std::string name;
  if (!r.string(obj, path, key, name, true)) {
    return false;
  }
  out = domain::parseRole(name);
  if (!out) {
    return r.fail(ErrorCode::kInvalidValue, JsonReader::join(path, key),
                  "must be hq_admin, store_manager or analyst");
  }
  return true;
}

bool readPassword(JsonReader& r, const Value& obj, const std::string& path, std::string_view key,
                  std::string& out, bool required) {
  if (!r.string(obj, path, key, out, required)) {
    return false;
  }
  if (out.size() < kMinPasswordLength || out.size() > kMaxPasswordLength) {
    return r.fail(ErrorCode::kInvalidValue, JsonReader::join(path, key),
                  "must be 8 to 1024 bytes long");
  }
  return true;
}

// Store managers need stores; the other roles have none.
base::Status checkStoresForRole(domain::Role role, const std::vector<std::string>& stores) {
  if (role == domain::Role::kStoreManager && stores.empty()) {
    return base::makeError(ErrorCode::kInvalidValue, "stores: a store manager needs stores");
  }
  if (role != domain::Role::kStoreManager && !stores.empty()) {
    return base::makeError(ErrorCode::kInvalidValue, "stores: only store managers have stores");
  }
  return base::okStatus();
}

}  // namespace

// ---- Reader ----

base::Result<json::Value> parseBody(std::string_view body, size_t maxBytes) {
  json::ParseLimits limits;
  limits.maxBytes = maxBytes;
  limits.maxDepth = kMaxAdminJsonDepth;
  return json::parse(body, limits);
}

std::string JsonReader::join(const std::string& path, std::string_view key) {
  if (path.empty()) {
    return std::string(key);
  }
  std::string out = path;
  out += '.';
  out += key;
  return out;
}

std::string JsonReader::index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

bool JsonReader::fail(ErrorCode code, const std::string& path, const std::string& what) {
  if (!error_) {
    error_ = base::makeError(code, (path.empty() ? std::string("body") : path) + ": " + what);
  }
  return false;
}

bool JsonReader::object(const Value* v, const std::string& path,
                        std::initializer_list<std::string_view> allowed) {
  if (!ok()) {
    return false;
  }
  if (v == nullptr) {
    return fail(ErrorCode::kMissingField, path, "required field is missing");
  }
  if (!v->isObject()) {
    return fail(ErrorCode::kWrongType, path, "expected an object");
  }
  for (const json::Member& m : v->members()) {
    if (std::find(allowed.begin(), allowed.end(), m.first) == allowed.end()) {
      return fail(ErrorCode::kUnknownField, join(path, m.first), "unknown field");
    }
  }
  return true;
}

bool JsonReader::has(const Value& obj, std::string_view key) { return obj.find(key) != nullptr; }

bool JsonReader::integer(const Value& obj, const std::string& path, std::string_view key,
                         int64_t& out, bool required) {
  if (!ok()) {
    return false;
  }
  const Value* v = obj.find(key);
  if (v == nullptr) {
    return required ? fail(ErrorCode::kMissingField, join(path, key), "required field is missing")
                    : true;
  }
  if (!v->isInt()) {
    return fail(ErrorCode::kWrongType, join(path, key), "expected an integer");
  }
  out = v->asInt();
  return true;
}

bool JsonReader::boolean(const Value& obj, const std::string& path, std::string_view key, bool& out,
                         bool required) {
  if (!ok()) {
    return false;
  }
  const Value* v = obj.find(key);
  if (v == nullptr) {
    return required ? fail(ErrorCode::kMissingField, join(path, key), "required field is missing")
                    : true;
  }
  if (!v->isBool()) {
    return fail(ErrorCode::kWrongType, join(path, key), "expected true or false");
  }
  out = v->asBool();
  return true;
}

bool JsonReader::string(const Value& obj, const std::string& path, std::string_view key,
                        std::string& out, bool required) {
  if (!ok()) {
    return false;
  }
  const Value* v = obj.find(key);
  if (v == nullptr) {
    return required ? fail(ErrorCode::kMissingField, join(path, key), "required field is missing")
                    : true;
  }
  if (!v->isString()) {
    return fail(ErrorCode::kWrongType, join(path, key), "expected a string");
  }
  out = v->asString();
  return true;
}

bool JsonReader::optionalDate(const Value& obj, const std::string& path, std::string_view key,
                              std::optional<std::string>& out) {
  if (!ok()) {
    return false;
  }
  const Value* v = obj.find(key);
  if (v == nullptr || v->isNull()) {
    out.reset();
    return true;
  }
  if (!v->isString()) {
    return fail(ErrorCode::kWrongType, join(path, key), "expected a date string or null");
  }
  if (!domain::rules::isValidDate(v->asString())) {
    return fail(ErrorCode::kInvalidValue, join(path, key), "must be a calendar date YYYY-MM-DD");
  }
  out = v->asString();
  return true;
}

bool JsonReader::stringList(const Value& obj, const std::string& path, std::string_view key,
                            std::vector<std::string>& out, bool required) {
  if (!ok()) {
    return false;
  }
  const Value* v = obj.find(key);
  if (v == nullptr) {
    return required ? fail(ErrorCode::kMissingField, join(path, key), "required field is missing")
                    : true;
  }
  const std::string where = join(path, key);
  if (!v->isArray()) {
    return fail(ErrorCode::kWrongType, where, "expected an array of strings");
  }
  std::vector<std::string> items;
  items.reserve(v->items().size());
  for (size_t i = 0; i < v->items().size(); ++i) {
    if (!v->items()[i].isString()) {
      return fail(ErrorCode::kWrongType, index(where, i), "expected a string");
    }
    items.push_back(v->items()[i].asString());
  }
  out = std::move(items);
  return true;
}

bool isStoreId(std::string_view s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), isIdChar);
}

bool isUserName(std::string_view s) {
  return !s.empty() && s.size() <= kMaxUserNameLength &&
         std::all_of(s.begin(), s.end(),
                     [](char c) { return isIdChar(c) || c == '.' || c == '@'; });
}

// ---- Earn rules ----

void writeEarnRules(Writer& w, const EarnRules& rules) {
  w.beginObject();
  w.key("base");
  w.beginObject();
  w.key("pointsPerUnit");
  w.value(rules.base.pointsPerUnit);
  w.key("unitMinor");
  w.value(rules.base.unitMinor);
  w.key("excludedCategories");
  writeStrings(w, rules.base.excludedCategories);
  w.endObject();

  w.key("multipliers");
  w.beginArray();
  for (const auto& m : rules.multipliers) {
    w.beginObject();
    w.key("id");
    w.value(m.id);
    w.key("scope");
    w.beginObject();
    w.key("kind");
    w.value(domain::rules::scopeKindName(m.scope.kind));
    if (m.scope.kind != domain::rules::ScopeKind::kAll || !m.scope.value.empty()) {
      w.key("value");
      w.value(m.scope.value);
    }
    w.endObject();
    w.key("percent");
    w.value(m.percent);
    writeOptionalDate(w, "from", m.from);
    writeOptionalDate(w, "to", m.to);
    w.endObject();
  }
  w.endArray();

  w.key("productBonuses");
  w.beginArray();
  for (const auto& p : rules.productBonuses) {
    w.beginObject();
    w.key("id");
    w.value(p.id);
    w.key("sku");
    w.value(p.sku);
    w.key("pointsPerUnitBought");
    w.value(p.pointsPerUnitBought);
    writeOptionalDate(w, "from", p.from);
    writeOptionalDate(w, "to", p.to);
    w.endObject();
  }
  w.endArray();

  w.key("thresholdBonuses");
  w.beginArray();
  for (const auto& t : rules.thresholdBonuses) {
    w.beginObject();
    w.key("id");
    w.value(t.id);
    w.key("minEligibleSpend");
    w.value(t.minEligibleSpend.value());
    w.key("points");
    w.value(t.points.value());
    writeOptionalDate(w, "from", t.from);
    writeOptionalDate(w, "to", t.to);
    w.endObject();
  }
  w.endArray();

  w.key("tiers");
  w.beginArray();
  for (const auto& t : rules.tiers) {
    w.beginObject();
    w.key("name");
    w.value(t.name);
    w.key("minRollingSpend");
    w.value(t.minRollingSpend.value());
    w.key("percent");
    w.value(t.percent);
    w.endObject();
  }
  w.endArray();
  w.endObject();
}

bool readEarnRules(JsonReader& r, const Value& v, const std::string& path, EarnRules& out) {
  EarnRules rules;
  if (!r.object(&v, path, {"base", "multipliers", "productBonuses", "thresholdBonuses", "tiers"})) {
    return false;
  }
  if (const Value* b = v.find("base"); b != nullptr) {
    const std::string where = JsonReader::join(path, "base");
    if (r.object(b, where, {"pointsPerUnit", "unitMinor", "excludedCategories"})) {
      r.integer(*b, where, "pointsPerUnit", rules.base.pointsPerUnit);
      r.integer(*b, where, "unitMinor", rules.base.unitMinor);
      r.stringList(*b, where, "excludedCategories", rules.base.excludedCategories);
    }
  }
  r.objectList(v, path, "multipliers", [&](const Value& m, const std::string& where) {
    if (!r.object(&m, where, {"id", "scope", "percent", "from", "to"})) {
      return;
    }
    domain::rules::Multiplier x;
    r.string(m, where, "id", x.id, true);
    const std::string scopePath = JsonReader::join(where, "scope");
    if (r.object(m.find("scope"), scopePath, {"kind", "value"})) {
      std::string kind;
      if (r.string(*m.find("scope"), scopePath, "kind", kind, true)) {
        const auto parsed = domain::rules::parseScopeKind(kind);
        if (!parsed) {
          r.fail(ErrorCode::kInvalidValue, JsonReader::join(scopePath, "kind"),
                 "must be sku, brand, category, store, tier or all");
          return;
        }
        x.scope.kind = *parsed;
      }
      r.string(*m.find("scope"), scopePath, "value", x.scope.value);
    }
    r.integer(m, where, "percent", x.percent, true);
    r.optionalDate(m, where, "from", x.from);
    r.optionalDate(m, where, "to", x.to);
    rules.multipliers.push_back(std::move(x));
  });
  r.objectList(v, path, "productBonuses", [&](const Value& p, const std::string& where) {
    if (!r.object(&p, where, {"id", "sku", "pointsPerUnitBought", "from", "to"})) {
      return;
    }
    domain::rules::ProductBonus x;
    r.string(p, where, "id", x.id, true);
    r.string(p, where, "sku", x.sku, true);
    r.integer(p, where, "pointsPerUnitBought", x.pointsPerUnitBought, true);
    r.optionalDate(p, where, "from", x.from);
    r.optionalDate(p, where, "to", x.to);
    rules.productBonuses.push_back(std::move(x));
  });
  r.objectList(v, path, "thresholdBonuses", [&](const Value& t, const std::string& where) {
    if (!r.object(&t, where, {"id", "minEligibleSpend", "points", "from", "to"})) {
      return;
    }
    domain::rules::ThresholdBonus x;
    r.string(t, where, "id", x.id, true);
    r.amount(t, where, "minEligibleSpend", x.minEligibleSpend, true);
    r.amount(t, where, "points", x.points, true);
    r.optionalDate(t, where, "from", x.from);
    r.optionalDate(t, where, "to", x.to);
    rules.thresholdBonuses.push_back(std::move(x));
  });
  r.objectList(v, path, "tiers", [&](const Value& t, const std::string& where) {
    if (!r.object(&t, where, {"name", "minRollingSpend", "percent"})) {
      return;
    }
    domain::rules::Tier x;
    r.string(t, where, "name", x.name, true);
    r.amount(t, where, "minRollingSpend", x.minRollingSpend, true);
    r.integer(t, where, "percent", x.percent, true);
    rules.tiers.push_back(std::move(x));
  });
  if (!r.ok()) {
    return false;
  }
  out = std::move(rules);
  return true;
}

// ---- Programme ----

void writeProgramme(Writer& w, const domain::Programme& p) {
  w.beginObject();
  w.key("earn");
  writeEarnRules(w, p.earn);
  w.key("tender");
  w.beginObject();
  w.key("unit_points");
  w.value(p.tender.unitPoints);
  w.key("unit_value");
  w.value(p.tender.unitValue.value());
  w.key("min_points");
  w.value(p.tender.minPoints);
  w.endObject();
  w.key("expiry_months");
  w.value(p.expiryMonths);
  w.key("clawback");
  w.value(domain::clawbackPolicyName(p.clawback));
  w.key("reservation_seconds");
  w.value(p.reservationSeconds);
  w.key("rolling_spend_days");
  w.value(p.rollingSpendDays);
  w.endObject();
}

base::Result<domain::Programme> decodeProgrammeValue(const Value& v, const std::string& path) {
  JsonReader r;
  domain::Programme p;
  if (r.object(&v, path,
               {"earn", "tender", "expiry_months", "clawback", "reservation_seconds",
                "rolling_spend_days"})) {
    if (const Value* earn = v.find("earn"); earn != nullptr) {
      readEarnRules(r, *earn, JsonReader::join(path, "earn"), p.earn);
    }
    if (const Value* tender = v.find("tender"); tender != nullptr) {
      const std::string where = JsonReader::join(path, "tender");
      if (r.object(tender, where, {"unit_points", "unit_value", "min_points"})) {
        r.integer(*tender, where, "unit_points", p.tender.unitPoints);
        r.amount(*tender, where, "unit_value", p.tender.unitValue);
        r.integer(*tender, where, "min_points", p.tender.minPoints);
      }
    }
    r.integer(v, path, "expiry_months", p.expiryMonths);
    std::string clawback;
    if (r.string(v, path, "clawback", clawback) && JsonReader::has(v, "clawback")) {
      const auto policy = domain::parseClawbackPolicy(clawback);
      if (!policy) {
        r.fail(ErrorCode::kInvalidValue, JsonReader::join(path, "clawback"),
               "must be allow_negative or offset");
      } else {
        p.clawback = *policy;
      }
    }
    r.integer(v, path, "reservation_seconds", p.reservationSeconds);
    r.integer(v, path, "rolling_spend_days", p.rollingSpendDays);
  }
  if (!r.ok()) {
    return r.error();
  }
  auto valid = domain::validate(p);
  if (!valid.ok()) {
    return valid.error();
  }
  return p;
}

std::string encodeProgramme(const domain::Programme& programme) {
  Writer w;
  writeProgramme(w, programme);
  return w.take();
}

base::Result<domain::Programme> decodeProgramme(std::string_view text) {
  // A stored or uploaded programme: a little larger than a request body may be.
  auto parsed = parseBody(text, 4 * 1024 * 1024);
  if (!parsed.ok()) {
    return parsed.error();
  }
  return decodeProgrammeValue(parsed.value(), "");
}

// ---- Campaigns ----

void writeCampaign(Writer& w, const domain::Campaign& c) {
  w.beginObject();
  w.key("id");
  w.value(c.id);
  w.key("name");
  w.value(c.name);
  w.key("owner_store");
  w.value(c.ownerStore);
  w.key("status");
  w.value(domain::campaignStatusName(c.status));
  writeOptionalDate(w, "from", c.from);
  writeOptionalDate(w, "to", c.to);
  w.key("reward");
  protocol::encodeReward(w, c.reward);
  w.key("tiers");
  writeStrings(w, c.tiers);
  w.key("stores");
  writeStrings(w, c.stores);
  w.key("validity_days");
  w.value(c.validityDays);
  w.key("budget_count");
  w.value(c.budgetCount);
  w.key("budget_cost");
  w.value(c.budgetCost.value());
  w.key("cap_per_visit");
  w.value(c.capPerVisit);
  w.key("cap_per_period");
  w.value(c.capPerPeriod);
  w.key("cap_period_days");
  w.value(c.capPeriodDays);
  w.key("issuance");
  w.value(domain::issuanceKindName(c.issuance));
  if (c.issuance == domain::IssuanceKind::kCheckoutTrigger) {
    w.key("trigger");
    w.beginObject();
    w.key("target");
    w.value(offers::targetKindName(c.trigger.target));
    if (c.trigger.target != offers::TargetKind::kBasket || !c.trigger.value.empty()) {
      w.key("value");
      w.value(c.trigger.value);
    }
    w.key("min_quantity");
    w.value(c.trigger.minQuantity);
    w.key("min_spend");
    w.value(c.trigger.minSpend.value());
    w.endObject();
  }
  w.key("control_percent");
  w.value(c.controlPercent);
  w.key("personalized_count");
  w.value(c.personalizedCount);
  w.key("discover_percent");
  w.value(c.discoverPercent);
  w.key("allow_basket_items");
  w.value(c.allowBasketItems);
  w.key("issued_count");
  w.value(c.issuedCount);
  w.key("redeemed_count");
  w.value(c.redeemedCount);
  w.key("redeemed_cost");
  w.value(c.redeemedCost.value());
  w.key("updated_at_ms");
  w.value(c.updatedAtMs);
  w.endObject();
}

std::string encodeCampaign(const domain::Campaign& campaign) {
  Writer w;
  writeCampaign(w, campaign);
  return w.take();
}

base::Result<CampaignInput> decodeCampaign(const Value& v, const std::string& path) {
  JsonReader r;
  CampaignInput in;
  domain::Campaign& c = in.campaign;
  if (!r.object(&v, path,
                {"id",
                 "name",
                 "owner_store",
                 "status",
                 "from",
                 "to",
                 "reward",
                 "tiers",
                 "stores",
                 "validity_days",
                 "budget_count",
                 "budget_cost",
                 "cap_per_visit",
                 "cap_per_period",
                 "cap_period_days",
                 "issuance",
                 "trigger",
                 "control_percent",
                 "personalized_count",
                 "discover_percent",
                 "allow_basket_items",
                 "issued_count",
                 "redeemed_count",
                 "redeemed_cost",
                 "updated_at_ms"})) {
    return r.error();
  }
  if (JsonReader::has(v, "id")) {
    int64_t id = 0;
    if (r.integer(v, path, "id", id)) {
      in.id = id;
    }
  }
  if (r.string(v, path, "name", c.name, true)) {
    if (c.name.empty() || c.name.size() > kMaxCampaignNameLength || hasControlCharacter(c.name)) {
      r.fail(ErrorCode::kInvalidValue, JsonReader::join(path, "name"),
             "must be 1 to 128 bytes without control characters");
    }
  }
  if (JsonReader::has(v, "owner_store")) {
    in.hasOwnerStore = true;
    if (r.string(v, path, "owner_store", c.ownerStore) && !c.ownerStore.empty() &&
        !isStoreId(c.ownerStore)) {
      r.fail(ErrorCode::kInvalidValue, JsonReader::join(path, "owner_store"),
             "must be empty (chain-wide) or 1 to 32 characters of A-Z a-z 0-9 _ -");
    }
  }
  if (JsonReader::has(v, "status")) {
    std::string status;
    if (r.string(v, path, "status", status)) {
      in.status = domain::parseCampaignStatus(status);
      if (!in.status) {
        r.fail(ErrorCode::kInvalidValue, JsonReader::join(path, "status"),
               "must be draft, active, paused or ended");
      }
    }
  }
  r.optionalDate(v, path, "from", c.from);
  r.optionalDate(v, path, "to", c.to);
  if (r.ok()) {
    const Value* reward = v.find("reward");
    if (reward == nullptr) {
      r.fail(ErrorCode::kMissingField, JsonReader::join(path, "reward"),
             "required field is missing");
    } else {
      // A personalized campaign's reward names no product: each shopper's is chosen at the till.
      const Value* issuance = v.find("issuance");
      const bool personalized = issuance != nullptr && issuance->isString() &&
                                issuance->asString() == "personalized";
      auto decoded = personalized
                         ? protocol::decodeRewardTemplate(*reward, JsonReader::join(path, "reward"))
                         : protocol::decodeReward(*reward, JsonReader::join(path, "reward"));
      if (!decoded.ok()) {
        return decoded.error();
      }
      c.reward = std::move(decoded).value();
    }
  }
  readIdList(r, v, path, "tiers", c.tiers);
  readIdList(r, v, path, "stores", c.stores);
  r.integer(v, path, "validity_days", c.validityDays);
  r.integer(v, path, "budget_count", c.budgetCount);
  r.amount(v, path, "budget_cost", c.budgetCost);
  r.integer(v, path, "cap_per_visit", c.capPerVisit);
  r.integer(v, path, "cap_per_period", c.capPerPeriod);
  r.integer(v, path, "cap_period_days", c.capPeriodDays);
  if (JsonReader::has(v, "issuance")) {
    std::string issuance;
    if (r.string(v, path, "issuance", issuance)) {
      const auto kind = domain::parseIssuanceKind(issuance);
      if (!kind) {
        r.fail(ErrorCode::kInvalidValue, JsonReader::join(path, "issuance"),
               "must be manual, checkout_trigger or personalized");
      } else {
        c.issuance = *kind;
      }
    }
  }
  const Value* trigger = v.find("trigger");
  const std::string triggerPath = JsonReader::join(path, "trigger");
  if (r.ok() && c.issuance == domain::IssuanceKind::kCheckoutTrigger && trigger == nullptr) {
    r.fail(ErrorCode::kMissingField, triggerPath, "a checkout_trigger campaign needs a trigger");
  }
  if (r.ok() && trigger != nullptr) {
    if (c.issuance != domain::IssuanceKind::kCheckoutTrigger) {
      r.fail(ErrorCode::kInvalidValue, triggerPath, "only checkout_trigger campaigns have one");
    } else if (r.object(trigger, triggerPath, {"target", "value", "min_quantity", "min_spend"})) {
      std::string target;
      if (r.string(*trigger, triggerPath, "target", target, true)) {
        const auto kind = offers::parseTargetKind(target);
        if (!kind) {
          r.fail(ErrorCode::kInvalidValue, JsonReader::join(triggerPath, "target"),
                 "must be sku, category or basket");
        } else {
          c.trigger.target = *kind;
        }
      }
      r.string(*trigger, triggerPath, "value", c.trigger.value);
      r.integer(*trigger, triggerPath, "min_quantity", c.trigger.minQuantity);
      r.amount(*trigger, triggerPath, "min_spend", c.trigger.minSpend);
    }
  }
  r.integer(v, path, "control_percent", c.controlPercent);
  r.integer(v, path, "personalized_count", c.personalizedCount);
  r.integer(v, path, "discover_percent", c.discoverPercent);
  r.boolean(v, path, "allow_basket_items", c.allowBasketItems);
  // Read-only: type-checked, then ignored.
  int64_t ignored = 0;
  r.integer(v, path, "issued_count", ignored);
  r.integer(v, path, "redeemed_count", ignored);
  r.integer(v, path, "redeemed_cost", ignored);
  r.integer(v, path, "updated_at_ms", ignored);
  if (!r.ok()) {
    return r.error();
  }
  return in;
}

// ---- Users ----

void writeUser(Writer& w, const domain::User& u) {
  w.beginObject();
  w.key("name");
  w.value(u.name);
  w.key("role");
  w.value(domain::roleName(u.role));
  w.key("stores");
  writeStrings(w, u.stores);
  w.key("created_at_ms");
  w.value(u.createdAtMs);
  w.key("disabled");
  w.value(u.disabled);
  w.endObject();
}

std::string encodeUser(const domain::User& user) {
  Writer w;
  writeUser(w, user);
  return w.take();
}

base::Result<NewUser> decodeNewUser(const Value& v) {
  JsonReader r;
  NewUser out;
  std::optional<domain::Role> role;
  if (r.object(&v, "", {"name", "role", "stores", "password"})) {
    if (r.string(v, "", "name", out.name, true) && !isUserName(out.name)) {
      r.fail(ErrorCode::kInvalidValue, "name", "must be 1 to 64 characters of A-Z a-z 0-9 . _ @ -");
    }
    readRole(r, v, "", "role", role, true);
    readIdList(r, v, "", "stores", out.stores);
    readPassword(r, v, "", "password", out.password, true);
  }
  if (!r.ok()) {
    return r.error();
  }
  out.role = *role;
  auto stores = checkStoresForRole(out.role, out.stores);
  if (!stores.ok()) {
    return stores.error();
  }
  return out;
}

base::Result<UserChange> decodeUserChange(const Value& v) {
  JsonReader r;
  UserChange out;
  if (r.object(&v, "", {"role", "stores", "password", "disabled"})) {
    readRole(r, v, "", "role", out.role, false);
    if (JsonReader::has(v, "stores")) {
      std::vector<std::string> stores;
      if (readIdList(r, v, "", "stores", stores)) {
        out.stores = std::move(stores);
      }
    }
    if (JsonReader::has(v, "password")) {
      std::string password;
      if (readPassword(r, v, "", "password", password, true)) {
        out.password = std::move(password);
      }
    }
    if (JsonReader::has(v, "disabled")) {
      bool disabled = false;
      if (r.boolean(v, "", "disabled", disabled)) {
        out.disabled = disabled;
      }
    }
  }
  if (!r.ok()) {
    return r.error();
  }
  return out;
}

base::Status applyUserChange(domain::User& user, const UserChange& change) {
  if (change.role) {
    user.role = *change.role;
    if (!change.stores && user.role != domain::Role::kStoreManager) {
      user.stores.clear();  // a role without stores drops them
    }
  }
  if (change.stores) {
    user.stores = *change.stores;
  }
  if (change.disabled) {
    user.disabled = *change.disabled;
  }
  return checkStoresForRole(user.role, user.stores);
}

// ---- Reports and answers ----

std::string encodeAuditEntry(const domain::AuditEntry& e) {
  Writer w;
  w.beginObject();
  w.key("id");
  w.value(e.id);
  w.key("at_ms");
  w.value(e.atMs);
  w.key("user");
  w.value(e.user);
  w.key("action");
  w.value(e.action);
  w.key("target");
  w.value(e.target);
  w.key("outcome");
  w.value(e.outcome);
  for (const auto& [key, text] :
       {std::pair<const char*, const std::string*>{"before", &e.before}, {"after", &e.after}}) {
    w.key(key);
    if (text->empty()) {
      w.null();
    } else if (json::parse(*text, json::ParseLimits{16 * 1024 * 1024, 32}).ok()) {
      w.raw(*text);  // our own JSON, stored as text
    } else {
      w.value(*text);
    }
  }
  w.endObject();
  return w.take();
}

std::string encodeAuditPage(const std::vector<domain::AuditEntry>& entries,
                            std::optional<int64_t> nextBefore) {
  Writer w;
  w.beginObject();
  w.key("entries");
  w.beginArray();
  for (const auto& e : entries) {
    w.raw(encodeAuditEntry(e));
  }
  w.endArray();
  if (nextBefore) {
    w.key("next_before");
    w.value(*nextBefore);
  }
  w.endObject();
  return w.take();
}

std::string encodePreviewReport(const domain::PreviewReport& p) {
  Writer w;
  w.beginObject();
  w.key("days");
  w.value(p.days);
  w.key("sales_scanned");
  w.value(p.salesScanned);
  w.key("sales_touched");
  w.value(p.salesTouched);
  w.key("shoppers_touched");
  w.value(p.shoppersTouched);
  w.key("coupons_issued");
  w.value(p.couponsIssued);
  w.key("discount_cost");
  w.value(p.discountCost.value());
  w.key("points_cost");
  w.value(p.pointsCost.value());
  w.endObject();
  return w.take();
}

std::string encodeExpiryReport(const domain::ExpiryReport& e) {
  Writer w;
  w.beginObject();
  w.key("customers_scanned");
  w.value(e.customersScanned);
  w.key("customers_expired");
  w.value(e.customersExpired);
  w.key("points_expired");
  w.value(e.pointsExpired.value());
  w.key("cutoff_ms");
  w.value(e.cutoffMs);
  w.endObject();
  return w.take();
}

std::string encodeConflicts(const std::vector<ConflictRow>& rows) {
  Writer w;
  w.beginObject();
  w.key("conflicts");
  w.beginArray();
  for (const ConflictRow& row : rows) {
    const domain::Redemption& r = row.redemption;
    w.beginObject();
    w.key("id");
    w.value(r.id);
    w.key("serial");
    w.value(static_cast<int64_t>(r.serial));
    w.key("campaign");
    w.value(r.campaignId);
    w.key("customer");
    w.value(r.customerId);
    if (!row.card.empty()) {
      w.key("card");
      w.value(row.card);
    }
    w.key("sale");
    w.value(r.saleId);
    w.key("discount");
    w.value(r.discount.value());
    w.key("bonus_points");
    w.value(r.bonusPoints.value());
    w.key("conflict");
    w.value(r.conflict);
    w.key("offline");
    w.value(r.offline);
    w.key("created_at_ms");
    w.value(r.createdAtMs);
    if (r.returnedByRefundId) {
      w.key("returned_by_refund");
      w.value(*r.returnedByRefundId);
    }
    w.endObject();
  }
  w.endArray();
  w.endObject();
  return w.take();
}

std::string encodeIssuedCoupons(const std::vector<domain::IssuedCoupon>& issued) {
  Writer w;
  w.beginObject();
  w.key("coupons");
  w.beginArray();
  for (const auto& i : issued) {
    w.beginObject();
    w.key("card");
    w.value(i.card);
    w.key("serial");
    w.value(static_cast<int64_t>(i.coupon.serial));
    w.key("code");
    w.value(i.coupon.code);
    w.key("expires");
    w.value(i.coupon.expires);
    w.endObject();
  }
  w.endArray();
  w.endObject();
  return w.take();
}

std::string encodeLoginAnswer(const std::string& token, int64_t expiresAtMs,
                              const domain::User& user) {
  Writer w;
  w.beginObject();
  w.key("token");
  w.value(token);
  w.key("expires_at_ms");
  w.value(expiresAtMs);
  w.key("user");
  w.value(user.name);
  w.key("role");
  w.value(domain::roleName(user.role));
  w.key("stores");
  writeStrings(w, user.stores);
  w.endObject();
  return w.take();
}

}  // namespace loyalty::core::admin
