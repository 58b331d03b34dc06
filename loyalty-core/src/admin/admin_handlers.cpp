// The /v1/admin routes (docs/admin-api.md). Each handler: authenticate (401), check the role and
// store scope (403, audited as "denied"), decode (400), then one store write holding the change
// and its audit entry, then refresh the in-memory copies (programme, campaign book).
#include <Poco/Logger.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "admin/admin_api.h"
#include "admin/admin_json.h"
#include "admin/auth.h"
#include "admin/passwords.h"
#include "domain/history_import.h"
#include "domain/offers/expiry.h"
#include "domain/offers/preview.h"
#include "loyalty/protocol/card.h"
#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/limits.h"

namespace loyalty::core::admin {
namespace {

using base::ErrorCode;
using domain::Role;
using http::Request;
using http::Response;
using json::Value;

constexpr size_t kMaxCatalogueBytes = 64 * 1024 * 1024;  // PUT /v1/admin/catalogue
constexpr size_t kMaxHistoryBytes = 64 * 1024 * 1024;    // POST /v1/admin/history
constexpr size_t kMaxIssueBytes = 1024 * 1024;           // 10,000 cards
constexpr size_t kMaxProgrammeBytes = 1024 * 1024;
constexpr int64_t kDefaultAuditLimit = 50;
constexpr int64_t kMaxAuditLimit = 500;
constexpr int64_t kDefaultConflictLimit = 100;
constexpr int64_t kMaxConflictLimit = 1000;

Poco::Logger& logger() { return Poco::Logger::get("loyalty.core.admin"); }

Response answer(std::string body, int status = 200) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response fail(const Request& req, const base::Error& error) {
  Response r = http::errorResponse(error, req.requestId);
  if (error.code == ErrorCode::kUnauthorized) {
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"loyalty-admin\"");
  }
  return r;
}

bool isJson(const Request& req) {
  const std::string& ct = req.contentType;
  return ct.empty() || ct.rfind("application/json", 0) == 0;
}

base::Error notJson() {
  return base::makeError(ErrorCode::kUnsupportedMediaType, "Content-Type must be application/json");
}

// The body as JSON (415 for another content type).
base::Result<Value> jsonBody(const Request& req, size_t maxBytes) {
  if (!isJson(req)) {
    return notJson();
  }
  return parseBody(req.body, maxBytes);
}

// An empty body or an empty JSON object (routes that take no input).
base::Status emptyBody(const Request& req) {
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return base::okStatus();
  }
  auto v = jsonBody(req, 1024);
  if (!v.ok()) {
    return v.error();
  }
  JsonReader r;
  if (!r.object(&v.value(), "", {})) {
    return r.error();
  }
  return base::okStatus();
}

// YYYY-MM-DD (UTC) of an instant.
std::string utcDate(int64_t ms) {
  int64_t days = ms / 86'400'000;
  if (ms % 86'400'000 < 0) {
    --days;
  }
  // Civil from days (H. Hinnant's algorithm).
  days += 719'468;
  const int64_t era = (days >= 0 ? days : days - 146'096) / 146'097;
  const int64_t doe = days - era * 146'097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
  int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2 ? 1 : 0;
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d));
  return buf;
}

// A decimal in [lo, hi], or nullopt.
std::optional<int64_t> parseDecimal(std::string_view s, int64_t lo, int64_t hi) {
  if (s.empty() || s.size() > 18) {
    return std::nullopt;
  }
  int64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) {
    return std::nullopt;
  }
  return v;
}

base::Result<int64_t> campaignIdParam(const Request& req) {
  const auto id = parseDecimal(req.param("id"), 1, domain::kMaxCampaignId);
  if (!id) {
    return base::makeError(ErrorCode::kInvalidValue,
                           "campaign id must be an integer 1..4294967295");
  }
  return *id;
}

std::string campaignTarget(int64_t id) { return "campaign:" + std::to_string(id); }

base::Status appendAudit(domain::StoreWriter& w, const domain::User& user, int64_t nowMs,
                         const std::string& action, const std::string& target, std::string before,
                         std::string after) {
  domain::AuditEntry entry;
  entry.atMs = nowMs;
  entry.user = user.name;
  entry.action = action;
  entry.target = target;
  entry.outcome = "ok";
  entry.before = std::move(before);
  entry.after = std::move(after);
  auto id = w.appendAudit(entry);
  if (!id.ok()) {
    return id.error();
  }
  return base::okStatus();
}

// The user JSON for the audit log: the record, and whether the password changed.
std::string userAuditJson(const domain::User& user, bool passwordChanged) {
  std::string text = encodeUser(user);
  if (passwordChanged) {
    text.pop_back();  // '}'
    text += ",\"password_changed\":true}";
  }
  return text;
}

class AdminRoutes {
 public:
  explicit AdminRoutes(AdminContext& context) : ctx_(context) {}

  using UserHandler = std::function<Response(const Request&, const domain::User&)>;

  // A handler that authenticates first.
  http::Handler authed(UserHandler handler) const {
    return [this, handler = std::move(handler)](const Request& req) {
      auto user = authenticate(ctx_.store, req.authorization, now());
      if (!user.ok()) {
        return fail(req, user.error());
      }
      return handler(req, user.value());
    };
  }

  int64_t now() const { return ctx_.clock.nowMs(); }

  // Answers a refused change (403) after storing the refusal in the audit log.
  Response denied(const Request& req, const domain::User& user, const base::Error& error,
                  const std::string& action, const std::string& target) const {
    auto audited = recordDenied(ctx_.store, user.name, action, target, now());
    if (!audited.ok()) {
      logger().warning("audit of a refused %s by %s failed: %s", action, user.name,
                       audited.error().message);
    }
    return fail(req, error);
  }

  // Role check for a change: 403 + audit when the role is not in roles.
  std::optional<Response> requireChangeRole(const Request& req, const domain::User& user,
                                            std::initializer_list<Role> roles,
                                            const std::string& what, const std::string& action,
                                            const std::string& target) const {
    auto allowed = requireRole(user, roles, what);
    if (!allowed.ok()) {
      return denied(req, user, allowed.error(), action, target);
    }
    return std::nullopt;
  }

  void reloadCampaigns() const {
    auto reloaded = ctx_.campaigns.reload(ctx_.store);
    if (!reloaded.ok()) {
      logger().error("campaign book reload failed (checkout sees the old campaigns): %s",
                     reloaded.error().message);
    }
  }

  // ---- Login ----

  Response login(const Request& req) const {
    auto body = jsonBody(req, 16 * 1024);
    if (!body.ok()) {
      return fail(req, body.error());
    }
    JsonReader r;
    std::string user;
    std::string password;
    if (r.object(&body.value(), "", {"user", "password"})) {
      r.string(body.value(), "", "user", user, true);
      r.string(body.value(), "", "password", password, true);
    }
    if (!r.ok()) {
      return fail(req, r.error());
    }
    auto result = admin::login(ctx_.store, user, password, ctx_.options, now());
    if (!result.ok()) {
      return fail(req, result.error());
    }
    return answer(encodeLoginAnswer(result->token, result->expiresAtMs, result->user));
  }

  // ---- Users ----

  Response listUsers(const Request& req, const domain::User& user) const {
    auto allowed = requireRole(user, {Role::kHqAdmin, Role::kAnalyst}, "list users");
    if (!allowed.ok()) {
      return fail(req, allowed.error());
    }
    auto users = ctx_.store.users();
    if (!users.ok()) {
      return fail(req, users.error());
    }
    json::Writer w;
    w.beginObject();
    w.key("users");
    w.beginArray();
    for (const domain::User& u : users.value()) {
      writeUser(w, u);
    }
    w.endArray();
    w.endObject();
    return answer(w.take());
  }

  Response createUser(const Request& req, const domain::User& user) const {
    if (auto refused =
            requireChangeRole(req, user, {Role::kHqAdmin}, "create users", "user.create", "user")) {
      return *refused;
    }
    auto body = jsonBody(req, 16 * 1024);
    if (!body.ok()) {
      return fail(req, body.error());
    }
    auto in = decodeNewUser(body.value());
    if (!in.ok()) {
      return fail(req, in.error());
    }
    auto hash = hashPassword(in->password, ctx_.options.passwordIterations);
    if (!hash.ok()) {
      return fail(req, hash.error());
    }
    domain::User created;
    created.name = in->name;
    created.role = in->role;
    created.stores = in->stores;
    created.passwordHash = std::move(hash).value();
    created.createdAtMs = now();
    domain::User shown = created;
    shown.passwordHash.clear();
    auto written = ctx_.store.write([&](domain::StoreWriter& w) -> base::Status {
      if (auto inserted = w.insertUser(created); !inserted.ok()) {
        return inserted.error();
      }
      return appendAudit(w, user, now(), "user.create", "user:" + created.name, "",
                         userAuditJson(shown, true));
    });
    if (!written.ok()) {
      return fail(req, written.error());
    }
    return answer(encodeUser(shown), 201);
  }

  Response updateUser(const Request& req, const domain::User& user) const {
    const std::string& name = req.param("name");
    const std::string target = isUserName(name) ? "user:" + name : std::string("user:?");
    if (auto refused =
            requireChangeRole(req, user, {Role::kHqAdmin}, "change users", "user.update", target)) {
      return *refused;
    }
    auto body = jsonBody(req, 16 * 1024);
    if (!body.ok()) {
      return fail(req, body.error());
    }
    auto change = decodeUserChange(body.value());
    if (!change.ok()) {
      return fail(req, change.error());
    }
    std::string hash;
    if (change->password) {
      auto hashed = hashPassword(*change->password, ctx_.options.passwordIterations);
      if (!hashed.ok()) {
        return fail(req, hashed.error());
      }
      hash = std::move(hashed).value();
    }
    if (name == user.name &&
        ((change->disabled && *change->disabled) || (change->role && *change->role != user.role))) {
      return fail(
          req, base::makeError(ErrorCode::kInvalidState, "you may not disable or demote yourself"));
    }
    domain::User after;
    auto written = ctx_.store.write([&](domain::StoreWriter& w) -> base::Status {
      auto found = w.findUser(name);
      if (!found.ok()) {
        return found.error();
      }
      if (!found.value()) {
        return base::makeError(ErrorCode::kNotFound, "no user named " + name);
      }
      domain::User before = *found.value();
      after = before;
      if (auto applied = applyUserChange(after, change.value()); !applied.ok()) {
        return applied.error();
      }
      if (change->password) {
        after.passwordHash = hash;
      }
      if (auto updated = w.updateUser(after); !updated.ok()) {
        return updated.error();
      }
      before.passwordHash.clear();
      domain::User shown = after;
      shown.passwordHash.clear();
      return appendAudit(w, user, now(), "user.update", target, userAuditJson(before, false),
                         userAuditJson(shown, change->password.has_value()));
    });
    if (!written.ok()) {
      return fail(req, written.error());
    }
    after.passwordHash.clear();
    return answer(encodeUser(after));
  }

  // ---- Programme ----

  Response getProgramme(const Request&, const domain::User&) const {
    return answer(encodeProgramme(*ctx_.programme.get()));
  }

  Response putProgramme(const Request& req, const domain::User& user) const {
    if (auto refused = requireChangeRole(req, user, {Role::kHqAdmin}, "change the programme",
                                         "programme.update", "programme")) {
      return *refused;
    }
    auto body = jsonBody(req, kMaxProgrammeBytes);
    if (!body.ok()) {
      return fail(req, body.error());
    }
    auto programme = decodeProgrammeValue(body.value(), "");
    if (!programme.ok()) {
      return fail(req, programme.error());
    }
    const std::string after = encodeProgramme(programme.value());
    const std::string current = encodeProgramme(*ctx_.programme.get());
    auto written = ctx_.store.write([&](domain::StoreWriter& w) -> base::Status {
      auto stored = w.findSetting(domain::kProgrammeSetting);
      if (!stored.ok()) {
        return stored.error();
      }
      std::string before = stored.value() ? *stored.value() : current;
      if (auto saved = w.saveSetting(domain::kProgrammeSetting, after, now()); !saved.ok()) {
        return saved.error();
      }
      return appendAudit(w, user, now(), "programme.update", "programme", std::move(before), after);
    });
    if (!written.ok()) {
      return fail(req, written.error());
    }
    ctx_.programme.set(programme.value());
    return answer(after);
  }

  Response previewProgramme(const Request& req, const domain::User& user) const {
    if (auto refused =
            requireChangeRole(req, user, {Role::kHqAdmin, Role::kAnalyst}, "preview the programme",
                              "programme.preview", "programme")) {
      return *refused;
    }
    auto body = jsonBody(req, kMaxProgrammeBytes);
    if (!body.ok()) {
      return fail(req, body.error());
    }
    JsonReader r;
    int64_t days = 0;
    if (r.object(&body.value(), "", {"programme", "days"})) {
      r.integer(body.value(), "", "days", days, true);
      if (r.ok() && body.value().find("programme") == nullptr) {
        r.fail(ErrorCode::kMissingField, "programme", "required field is missing");
      }
    }
    if (!r.ok()) {
      return fail(req, r.error());
    }
    auto draft = decodeProgrammeValue(*body.value().find("programme"), "programme");
    if (!draft.ok()) {
      return fail(req, draft.error());
    }
    auto report = domain::previewProgramme(ctx_.store, ctx_.catalogue, *ctx_.programme.get(),
                                           draft.value(), days, now());
    if (!report.ok()) {
      return fail(req, report.error());
    }
    return answer(encodePreviewReport(report.value()));
  }

  // ---- Campaigns ----

  Response listCampaigns(const Request& req, const domain::User&) const {
    auto campaigns = ctx_.store.campaigns();
    if (!campaigns.ok()) {
      return fail(req, campaigns.error());
    }
    json::Writer w;
    w.beginObject();
    w.key("campaigns");
    w.beginArray();
    for (const domain::Campaign& c : campaigns.value()) {
      writeCampaign(w, c);
    }
    w.endArray();
    w.endObject();
    return answer(w.take());
  }

  Response getCampaign(const Request& req, const domain::User&) const {
    auto id = campaignIdParam(req);
    if (!id.ok()) {
      return fail(req, id.error());
    }
    auto found = ctx_.store.findCampaign(id.value());
    if (!found.ok()) {
      return fail(req, found.error());
    }
    if (!found.value()) {
      return fail(req, base::makeError(ErrorCode::kUnknownCampaign,
                                       "no campaign " + std::to_string(id.value())));
    }
    return answer(encodeCampaign(*found.value()));
  }

  // A store manager's new campaign belongs to the store it names (owner_store, else the first
  // of its stores).
  static void defaultOwner(const domain::User& user, CampaignInput& in) {
    if (user.role == Role::kStoreManager && (!in.hasOwnerStore || in.campaign.ownerStore.empty()) &&
        !in.campaign.stores.empty()) {
      in.campaign.ownerStore = in.campaign.stores.front();
    }
  }

  // Decodes the campaign at `at` of the body (nullptr: the body itself).
  static base::Result<CampaignInput> campaignOf(const Value& body, const char* at) {
    if (at == nullptr) {
      return decodeCampaign(body, "");
    }
    const Value* v = body.find(at);
    if (v == nullptr) {
      return base::makeError(ErrorCode::kMissingField,
                             std::string(at) + ": required field is missing");
    }
    return decodeCampaign(*v, at);
  }

  Response createCampaign(const Request& req, const domain::User& user) const {
    if (user.role == Role::kAnalyst) {
      return denied(req, user, base::makeError(ErrorCode::kForbidden, "an analyst may only read"),
                    "campaign.create", "campaign:new");
    }
    auto body = jsonBody(req, protocol::kMaxBodyBytes);
    if (!body.ok()) {
      return fail(req, body.error());
    }
    auto in = campaignOf(body.value(), nullptr);
    if (!in.ok()) {
      return fail(req, in.error());
    }
    defaultOwner(user, in.value());
    domain::Campaign draft = in->campaign;
    draft.status = in->status.value_or(domain::CampaignStatus::kDraft);
    if (auto scope = requireCampaignScope(user, draft, true); !scope.ok()) {
      return denied(req, user, scope.error(), "campaign.create", "campaign:new");
    }
    domain::Campaign created;
    auto written = ctx_.store.write([&](domain::StoreWriter& w) -> base::Status {
      auto stored = domain::createCampaign(w, draft, now());
      if (!stored.ok()) {
        return stored.error();
      }
      created = std::move(stored).value();
      return appendAudit(w, user, now(), "campaign.create", campaignTarget(created.id), "",
                         encodeCampaign(created));
    });
    if (!written.ok()) {
      return fail(req, written.error());
    }
    reloadCampaigns();
    return answer(encodeCampaign(created), 201);
  }

  // Runs change(writer, before) inside one write with the audit entry; the store manager's
  // scope is checked on the stored campaign (and by `change` on the new definition). A refusal
  // is answered 403 and audited in its own write.
  using CampaignChange = std::function<base::Result<domain::Campaign>(
      domain::StoreWriter&, const domain::Campaign& before)>;
  Response changeCampaign(const Request& req, const domain::User& user, int64_t id,
                          const std::string& action, const CampaignChange& change) const {
    domain::Campaign after;
    bool refused = false;
    auto written = ctx_.store.write([&](domain::StoreWriter& w) -> base::Status {
      auto found = w.findCampaign(id);
      if (!found.ok()) {
        return found.error();
      }
      if (!found.value()) {
        return base::makeError(ErrorCode::kUnknownCampaign, "no campaign " + std::to_string(id));
      }
      const domain::Campaign& before = *found.value();
      if (auto scope = requireCampaignScope(user, before, true); !scope.ok()) {
        refused = true;
        return scope.error();
      }
      auto changed = change(w, before);
      if (!changed.ok()) {
        refused = changed.error().code == ErrorCode::kForbidden;
        return changed.error();
      }
      after = std::move(changed).value();
      return appendAudit(w, user, now(), action, campaignTarget(id), encodeCampaign(before),
                         encodeCampaign(after));
    });
    if (!written.ok()) {
      if (refused) {
        return denied(req, user, written.error(), action, campaignTarget(id));
      }
      return fail(req, written.error());
    }
    reloadCampaigns();
    return answer(encodeCampaign(after));
  }

  Response updateCampaign(const Request& req, const domain::User& user) const {
    auto id = campaignIdParam(req);
    if (!id.ok()) {
      return fail(req, id.error());
    }
    if (user.role == Role::kAnalyst) {
      return denied(req, user, base::makeError(ErrorCode::kForbidden, "an analyst may only read"),
                    "campaign.update", campaignTarget(id.value()));
    }
    auto body = jsonBody(req, protocol::kMaxBodyBytes);
    if (!body.ok()) {
      return fail(req, body.error());
    }
    auto in = campaignOf(body.value(), nullptr);
    if (!in.ok()) {
      return fail(req, in.error());
    }
    if (in->id && *in->id != id.value()) {
      return fail(req, base::makeError(ErrorCode::kInvalidValue,
                                       "id: does not match the campaign in the path"));
    }
    return changeCampaign(
        req, user, id.value(), "campaign.update",
        [&](domain::StoreWriter& w,
            const domain::Campaign& before) -> base::Result<domain::Campaign> {
          if (in->status && *in->status != before.status) {
            return base::makeError(ErrorCode::kInvalidState,
                                   "status: change it with POST /v1/admin/campaigns/" +
                                       std::to_string(before.id) + "/status");
          }
          domain::Campaign changed = in->campaign;
          changed.id = before.id;
          changed.status = before.status;
          if (!in->hasOwnerStore) {
            changed.ownerStore = before.ownerStore;
          }
          if (auto scope = requireCampaignScope(user, changed, true); !scope.ok()) {
            return scope.error();
          }
          return domain::updateCampaign(w, changed, now());
        });
  }

  Response setStatus(const Request& req, const domain::User& user) const {
    auto id = campaignIdParam(req);
    if (!id.ok()) {
      return fail(req, id.error());
    }
    if (user.role == Role::kAnalyst) {
      return denied(req, user, base::makeError(ErrorCode::kForbidden, "an analyst may only read"),
                    "campaign.status", campaignTarget(id.value()));
    }
    auto body = jsonBody(req, 1024);
    if (!body.ok()) {
      return fail(req, body.error());
    }
    JsonReader r;
    std::string name;
    if (r.object(&body.value(), "", {"status"})) {
      r.string(body.value(), "", "status", name, true);
    }
    if (!r.ok()) {
      return fail(req, r.error());
    }
    const auto status = domain::parseCampaignStatus(name);
    if (!status) {
      return fail(req, base::makeError(ErrorCode::kInvalidValue,
                                       "status: must be draft, active, paused or ended"));
    }
    return changeCampaign(req, user, id.value(), "campaign.status",
                          [&](domain::StoreWriter& w, const domain::Campaign&) {
                            return domain::setCampaignStatus(w, id.value(), *status, now());
                          });
  }

  Response issue(const Request& req, const domain::User& user) const {
    auto id = campaignIdParam(req);
    if (!id.ok()) {
      return fail(req, id.error());
    }
    if (user.role == Role::kAnalyst) {
      return denied(req, user, base::makeError(ErrorCode::kForbidden, "an analyst may only read"),
                    "campaign.issue", campaignTarget(id.value()));
    }
    if (ctx_.issuer == nullptr) {
      return fail(req, base::makeError(ErrorCode::kCouponsNotConfigured,
                                       "the core has no coupon signing key"));
    }
    auto body = jsonBody(req, kMaxIssueBytes);
    if (!body.ok()) {
      return fail(req, body.error());
    }
    JsonReader r;
    std::vector<std::string> cards;
    if (r.object(&body.value(), "", {"cards"})) {
      r.stringList(body.value(), "", "cards", cards, true);
    }
    if (r.ok() && (cards.empty() || cards.size() > domain::kMaxIssueCards)) {
      r.fail(ErrorCode::kValueOutOfRange, "cards", "must hold 1 to 10000 cards");
    }
    for (size_t i = 0; r.ok() && i < cards.size(); ++i) {
      if (!protocol::isValidCard(cards[i])) {
        r.fail(ErrorCode::kInvalidCard, JsonReader::index("cards", i),
               "must be 13 to 19 digits ending in a valid Luhn check digit");
      }
    }
    if (!r.ok()) {
      return fail(req, r.error());
    }
    std::vector<domain::IssuedCoupon> issued;
    const std::string today = utcDate(now());
    Response done = changeCampaign(
        req, user, id.value(), "campaign.issue",
        [&](domain::StoreWriter& w, const domain::Campaign&) -> base::Result<domain::Campaign> {
          auto out = domain::issueCoupons(w, *ctx_.issuer, id.value(), cards, today, now());
          if (!out.ok()) {
            return out.error();
          }
          issued = std::move(out).value();
          auto after = w.findCampaign(id.value());
          if (!after.ok()) {
            return after.error();
          }
          if (!after.value()) {
            return base::makeError(ErrorCode::kUnknownCampaign, "campaign vanished");
          }
          return *after.value();
        });
    if (done.status != 200) {
      return done;
    }
    return answer(encodeIssuedCoupons(issued));
  }

  Response previewCampaign(const Request& req, const domain::User& user) const {
    auto body = jsonBody(req, protocol::kMaxBodyBytes);
    if (!body.ok()) {
      return fail(req, body.error());
    }
    JsonReader r;
    int64_t days = 0;
    if (r.object(&body.value(), "", {"campaign", "days"})) {
      r.integer(body.value(), "", "days", days, true);
    }
    if (!r.ok()) {
      return fail(req, r.error());
    }
    auto in = campaignOf(body.value(), "campaign");
    if (!in.ok()) {
      return fail(req, in.error());
    }
    defaultOwner(user, in.value());
    if (auto scope = requireCampaignScope(user, in->campaign, false); !scope.ok()) {
      return denied(req, user, scope.error(), "campaign.preview", "campaign:preview");
    }
    auto report = domain::previewCampaign(ctx_.store, ctx_.catalogue, in->campaign, days, now());
    if (!report.ok()) {
      return fail(req, report.error());
    }
    return answer(encodePreviewReport(report.value()));
  }

  // ---- Coupons, points, audit ----

  Response conflicts(const Request& req, const domain::User&) const {
    int64_t limit = kDefaultConflictLimit;
    if (auto text = req.queryParam("limit")) {
      const auto parsed = parseDecimal(*text, 1, kMaxConflictLimit);
      if (!parsed) {
        return fail(
            req, base::makeError(ErrorCode::kValueOutOfRange, "limit: must be between 1 and 1000"));
      }
      limit = *parsed;
    }
    auto found = ctx_.store.conflicts(static_cast<size_t>(limit));
    if (!found.ok()) {
      return fail(req, found.error());
    }
    std::vector<ConflictRow> rows;
    rows.reserve(found.value().size());
    for (const domain::Redemption& r : found.value()) {
      ConflictRow row;
      row.redemption = r;
      auto customer = ctx_.store.findCustomerById(r.customerId);
      if (customer.ok() && customer.value()) {
        row.card = customer.value()->card;
      }
      rows.push_back(std::move(row));
    }
    return answer(encodeConflicts(rows));
  }

  Response expirePoints(const Request& req, const domain::User& user) const {
    if (auto refused = requireChangeRole(req, user, {Role::kHqAdmin}, "expire points",
                                         "points.expire", "points")) {
      return *refused;
    }
    if (auto empty = emptyBody(req); !empty.ok()) {
      return fail(req, empty.error());
    }
    auto report = domain::expirePoints(ctx_.store, *ctx_.programme.get(), now());
    if (!report.ok()) {
      return fail(req, report.error());
    }
    const std::string body = encodeExpiryReport(report.value());
    auto audited = ctx_.store.write([&](domain::StoreWriter& w) {
      return appendAudit(w, user, now(), "points.expire", "points", "", body);
    });
    if (!audited.ok()) {
      logger().error("audit of a points expiry run failed: %s", audited.error().message);
    }
    return answer(body);
  }

  Response audit(const Request& req, const domain::User& user) const {
    auto allowed = requireRole(user, {Role::kHqAdmin, Role::kAnalyst}, "read the audit log");
    if (!allowed.ok()) {
      return fail(req, allowed.error());
    }
    int64_t before = 0;
    int64_t limit = kDefaultAuditLimit;
    if (auto text = req.queryParam("before")) {
      const auto parsed = parseDecimal(*text, 0, INT64_MAX / 10);
      if (!parsed) {
        return fail(req,
                    base::makeError(ErrorCode::kInvalidValue, "before: must be an audit entry id"));
      }
      before = *parsed;
    }
    if (auto text = req.queryParam("limit")) {
      const auto parsed = parseDecimal(*text, 1, kMaxAuditLimit);
      if (!parsed) {
        return fail(
            req, base::makeError(ErrorCode::kValueOutOfRange, "limit: must be between 1 and 500"));
      }
      limit = *parsed;
    }
    auto entries = ctx_.store.audit(before, static_cast<size_t>(limit));
    if (!entries.ok()) {
      return fail(req, entries.error());
    }
    std::optional<int64_t> next;
    if (static_cast<int64_t>(entries.value().size()) == limit && !entries.value().empty()) {
      next = entries.value().back().id;
    }
    return answer(encodeAuditPage(entries.value(), next));
  }

  // ---- Catalogue and history (CSV) ----

  Response catalogue(const Request& req, const domain::User& user) const {
    if (auto refused = requireChangeRole(req, user, {Role::kHqAdmin}, "import the catalogue",
                                         "catalogue.import", "catalogue")) {
      return *refused;
    }
    if (req.contentType.rfind("text/csv", 0) != 0) {
      return fail(
          req, base::makeError(ErrorCode::kUnsupportedMediaType, "Content-Type must be text/csv"));
    }
    auto out = ctx_.checkout.importCatalogue(req.body);
    if (!out.ok()) {
      return fail(req, out.error());
    }
    protocol::CatalogueImportResponse r;
    r.imported = static_cast<int64_t>(out.value());
    const std::string body = protocol::encode(r);
    auditImport(user, "catalogue.import", "catalogue", body);
    return answer(body);
  }

  Response history(const Request& req, const domain::User& user) const {
    if (auto refused = requireChangeRole(req, user, {Role::kHqAdmin}, "import history",
                                         "history.import", "history")) {
      return *refused;
    }
    if (req.contentType.rfind("text/csv", 0) != 0) {
      return fail(
          req, base::makeError(ErrorCode::kUnsupportedMediaType, "Content-Type must be text/csv"));
    }
    const std::string prefix =
        req.queryParam("sku_prefix").value_or(domain::kDefaultHistorySkuPrefix);
    auto batch = domain::parseHistoryCsv(req.body, prefix);
    if (!batch.ok()) {
      return fail(req, batch.error());
    }
    auto out = ctx_.checkout.importHistory(batch.value(), [](int64_t number) {
      return protocol::cardForCustomerNumber(static_cast<uint64_t>(number) + 1);
    });
    if (!out.ok()) {
      return fail(req, out.error());
    }
    json::Writer w;
    w.beginObject();
    w.key("imported_baskets");
    w.value(out->importedBaskets);
    w.key("skipped_existing");
    w.value(out->skippedExisting);
    w.endObject();
    const std::string body = w.take();
    auditImport(user, "history.import", "history", body);
    return answer(body);
  }

  // An import runs in the service's own write; its audit entry follows in another.
  void auditImport(const domain::User& user, const std::string& action, const std::string& target,
                   const std::string& after) const {
    auto audited = ctx_.store.write([&](domain::StoreWriter& w) {
      return appendAudit(w, user, now(), action, target, "", after);
    });
    if (!audited.ok()) {
      logger().error("audit of %s failed: %s", action, audited.error().message);
    }
  }

 private:
  AdminContext& ctx_;
};

}  // namespace

void addAdminRoutes(http::Router& router, AdminContext& context) {
  // The routes object lives as long as the handlers that hold it.
  auto routes = std::make_shared<const AdminRoutes>(context);
  auto bind = [routes](Response (AdminRoutes::*method)(const Request&, const domain::User&) const) {
    return routes->authed([routes, method](const Request& req, const domain::User& user) {
      return ((*routes).*method)(req, user);
    });
  };

  router.add("POST", "/v1/admin/login",
             [routes](const Request& req) { return routes->login(req); });
  router.add("GET", "/v1/admin/users", bind(&AdminRoutes::listUsers));
  router.add("POST", "/v1/admin/users", bind(&AdminRoutes::createUser));
  router.add("PUT", "/v1/admin/users/{name}", bind(&AdminRoutes::updateUser));
  router.add("GET", "/v1/admin/programme", bind(&AdminRoutes::getProgramme));
  router.add("PUT", "/v1/admin/programme", bind(&AdminRoutes::putProgramme), kMaxProgrammeBytes);
  router.add("POST", "/v1/admin/programme/preview", bind(&AdminRoutes::previewProgramme),
             kMaxProgrammeBytes);
  router.add("GET", "/v1/admin/campaigns", bind(&AdminRoutes::listCampaigns));
  router.add("POST", "/v1/admin/campaigns", bind(&AdminRoutes::createCampaign));
  router.add("POST", "/v1/admin/campaigns/preview", bind(&AdminRoutes::previewCampaign));
  router.add("GET", "/v1/admin/campaigns/{id}", bind(&AdminRoutes::getCampaign));
  router.add("PUT", "/v1/admin/campaigns/{id}", bind(&AdminRoutes::updateCampaign));
  router.add("POST", "/v1/admin/campaigns/{id}/status", bind(&AdminRoutes::setStatus));
  router.add("POST", "/v1/admin/campaigns/{id}/issue", bind(&AdminRoutes::issue), kMaxIssueBytes);
  router.add("GET", "/v1/admin/coupons/conflicts", bind(&AdminRoutes::conflicts));
  router.add("POST", "/v1/admin/points/expire", bind(&AdminRoutes::expirePoints));
  router.add("GET", "/v1/admin/audit", bind(&AdminRoutes::audit));
  router.add("PUT", "/v1/admin/catalogue", bind(&AdminRoutes::catalogue), kMaxCatalogueBytes);
  router.add("POST", "/v1/admin/history", bind(&AdminRoutes::history), kMaxHistoryBytes);
}

base::Status ensureBootstrapUser(domain::LoyaltyStore& store, const std::string& name,
                                 const std::string& password, const AdminOptions& options,
                                 int64_t nowMs) {
  if (name.empty() || !isUserName(name)) {
    return base::makeError(ErrorCode::kInvalidValue,
                           "bootstrap user: the name must be 1 to 64 characters of A-Z a-z 0-9 "
                           ". _ @ -");
  }
  if (password.size() < kMinPasswordLength || password.size() > kMaxPasswordLength) {
    return base::makeError(ErrorCode::kInvalidValue,
                           "bootstrap user: the password must be 8 to 1024 bytes long");
  }
  auto users = store.users();  // skip the PBKDF2 work on every later start
  if (!users.ok()) {
    return users.error();
  }
  if (!users.value().empty()) {
    return base::okStatus();
  }
  auto hash = hashPassword(password, options.passwordIterations);
  if (!hash.ok()) {
    return hash.error();
  }
  domain::User user;
  user.name = name;
  user.role = Role::kHqAdmin;
  user.passwordHash = std::move(hash).value();
  user.createdAtMs = nowMs;
  return store.write([&](domain::StoreWriter& w) -> base::Status {
    auto n = w.countUsers();
    if (!n.ok()) {
      return n.error();
    }
    if (n.value() > 0) {
      return base::okStatus();  // not the first start: nothing to do
    }
    if (auto inserted = w.insertUser(user); !inserted.ok()) {
      return inserted.error();
    }
    domain::User shown = user;
    shown.passwordHash.clear();
    return appendAudit(w, shown, nowMs, "user.bootstrap", "user:" + name, "",
                       userAuditJson(shown, true));
  });
}

base::Result<std::optional<domain::Programme>> loadStoredProgramme(domain::LoyaltyStore& store) {
  auto text = store.setting(domain::kProgrammeSetting);
  if (!text.ok()) {
    return text.error();
  }
  if (!text.value()) {
    return std::optional<domain::Programme>();
  }
  auto programme = decodeProgramme(*text.value());
  if (!programme.ok()) {
    return base::makeError(ErrorCode::kInvalidValue,
                           "the stored programme does not decode: " + programme.error().message);
  }
  return std::optional<domain::Programme>(std::move(programme).value());
}

}  // namespace loyalty::core::admin
