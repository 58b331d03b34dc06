// The JSON of the admin API (docs/admin-api.md, "JSON shapes"): programme, campaigns, users,
// audit entries, previews, expiry runs, coupon conflicts and issued coupons, and the strict reader
// the decoders share.
//
// Decoding is strict: an unknown field is unknown_field, a value of the wrong JSON type is
// wrong_type, a missing required field is missing_field, a bad name or format is invalid_value,
// a number outside its range is value_out_of_range; the message starts with the field's path
// ("campaign.trigger.min_spend: expected an integer"). Only the first problem is reported.
// Encoding is compact and deterministic (fields in the documented order).
//
// Thread safety: re-entrant; JsonReader is a plain value used by one thread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/model.h"
#include "domain/offers/campaigns.h"
#include "domain/offers/expiry.h"
#include "domain/offers/preview.h"
#include "domain/offers/programme.h"
#include "domain/rules/earn_rules.h"
#include "loyalty/base/result.h"
#include "loyalty/protocol/json.h"

namespace loyalty::core::admin {

namespace json = protocol::json;

inline constexpr int kMaxAdminJsonDepth = 12;
inline constexpr size_t kMaxUserNameLength = 64;
inline constexpr size_t kMaxCampaignNameLength = 128;

// Parses a request body (at most maxBytes, nesting at most kMaxAdminJsonDepth).
base::Result<json::Value> parseBody(std::string_view body, size_t maxBytes);

// Reads fields out of parsed JSON and remembers the first problem; once one is recorded every
// reader returns false. Paths are dotted ("earn.multipliers[2].percent"); "" is the body.
class JsonReader {
 public:
  static std::string join(const std::string& path, std::string_view key);
  static std::string index(const std::string& path, size_t i);

  bool ok() const { return !error_.has_value(); }
  const base::Error& error() const { return *error_; }
  bool fail(base::ErrorCode code, const std::string& path, const std::string& what);

  // v must be an object whose keys are all in allowed (v == nullptr: missing_field).
  bool object(const json::Value* v, const std::string& path,
              std::initializer_list<std::string_view> allowed);
  // Whether obj has key (a present null counts as present).
  static bool has(const json::Value& obj, std::string_view key);

  // The readers below leave `out` unchanged when the key is absent and !required.
  bool integer(const json::Value& obj, const std::string& path, std::string_view key, int64_t& out,
               bool required = false);
  template <typename Tag>
  bool amount(const json::Value& obj, const std::string& path, std::string_view key,
              base::Amount<Tag>& out, bool required = false) {
    int64_t v = out.value();
    if (!integer(obj, path, key, v, required)) {
      return false;
    }
    out = base::Amount<Tag>(v);
    return true;
  }
  bool boolean(const json::Value& obj, const std::string& path, std::string_view key, bool& out,
               bool required = false);
  bool string(const json::Value& obj, const std::string& path, std::string_view key,
              std::string& out, bool required = false);
  // Absent or null: nullopt. Otherwise a string that must be a real YYYY-MM-DD date.
  bool optionalDate(const json::Value& obj, const std::string& path, std::string_view key,
                    std::optional<std::string>& out);
  bool stringList(const json::Value& obj, const std::string& path, std::string_view key,
                  std::vector<std::string>& out, bool required = false);
  // An array of objects: calls each(item, itemPath) for every element.
  template <typename Each>
  bool objectList(const json::Value& obj, const std::string& path, std::string_view key,
                  const Each& each) {
    if (!ok()) {
      return false;
    }
    const json::Value* v = obj.find(key);
    if (v == nullptr) {
      return true;
    }
    const std::string where = join(path, key);
    if (!v->isArray()) {
      return fail(base::ErrorCode::kWrongType, where, "expected an array");
    }
    for (size_t i = 0; i < v->items().size() && ok(); ++i) {
      each(v->items()[i], index(where, i));
    }
    return ok();
  }

 private:
  std::optional<base::Error> error_;
};

// ---- Identifiers ----
// Store ids and tier names: 1..32 of [A-Za-z0-9_-] (as the protocol's store id).
bool isStoreId(std::string_view s);
// User names: 1..64 of [A-Za-z0-9._@-].
bool isUserName(std::string_view s);

// ---- Earn rules (docs/offers.md, "The JSON shape of the rules") ----
void writeEarnRules(json::Writer& w, const domain::rules::EarnRules& rules);
// Fields left out take the EarnRules defaults. Does not validate the values.
bool readEarnRules(JsonReader& r, const json::Value& v, const std::string& path,
                   domain::rules::EarnRules& out);

// ---- Programme ----
void writeProgramme(json::Writer& w, const domain::Programme& programme);
// Decodes and validates (domain::validate).
base::Result<domain::Programme> decodeProgrammeValue(const json::Value& v, const std::string& path);

// ---- Campaigns ----
struct CampaignInput {
  domain::Campaign campaign;                     // definition; counters and updatedAtMs are 0
  bool hasOwnerStore = false;                    // owner_store was given
  std::optional<int64_t> id;                     // id was given
  std::optional<domain::CampaignStatus> status;  // status was given
};
void writeCampaign(json::Writer& w, const domain::Campaign& campaign);
std::string encodeCampaign(const domain::Campaign& campaign);
// Read-only fields (issued_count, redeemed_count, redeemed_cost, updated_at_ms) are accepted
// (so that a GET answer can be edited and sent back) and ignored. Does not run
// validateCampaign (the domain does, when it stores the campaign).
base::Result<CampaignInput> decodeCampaign(const json::Value& v, const std::string& path);

// ---- Users ----
void writeUser(json::Writer& w, const domain::User& user);  // never the password hash
std::string encodeUser(const domain::User& user);
struct NewUser {
  std::string name;
  domain::Role role = domain::Role::kAnalyst;
  std::vector<std::string> stores;
  std::string password;
};
// {name, role, stores, password}: stores only (and required) for store managers; password
// 8..1024 bytes.
base::Result<NewUser> decodeNewUser(const json::Value& v);
struct UserChange {
  std::optional<domain::Role> role;
  std::optional<std::vector<std::string>> stores;
  std::optional<std::string> password;
  std::optional<bool> disabled;
};
base::Result<UserChange> decodeUserChange(const json::Value& v);
// Applies a change; kInvalidValue when the result breaks the stores rule above.
base::Status applyUserChange(domain::User& user, const UserChange& change);

// ---- Reports and answers ----
std::string encodeAuditEntry(const domain::AuditEntry& entry);
std::string encodeAuditPage(const std::vector<domain::AuditEntry>& entries,
                            std::optional<int64_t> nextBefore);
std::string encodePreviewReport(const domain::PreviewReport& report);
std::string encodeExpiryReport(const domain::ExpiryReport& report);
struct ConflictRow {
  domain::Redemption redemption;
  std::string card;  // empty when the customer is not found
};
std::string encodeConflicts(const std::vector<ConflictRow>& rows);
std::string encodeIssuedCoupons(const std::vector<domain::IssuedCoupon>& issued);
std::string encodeLoginAnswer(const std::string& token, int64_t expiresAtMs,
                              const domain::User& user);

}  // namespace loyalty::core::admin
