#include "loyalty-sim/sim_report.h"

#include <cstdio>

#include "common/text_format.h"
#include "loyalty/protocol/json.h"

namespace loyalty::tools {
namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

void writeLatency(protocol::json::Writer& w, const char* name, const LatencySummary& s) {
  w.key(name);
  w.beginObject();
  w.key("p50");
  w.raw(formatMicrosAsMillis(s.p50Us));
  w.key("p99");
  w.raw(formatMicrosAsMillis(s.p99Us));
  w.key("max");
  w.raw(formatMicrosAsMillis(s.maxUs));
  w.endObject();
}

}  // namespace

std::string formatSummaryTable(const DaySummary& day, const DrainResult& drain) {
  std::string out;
  TextTable totals({"", ""}, {TextTable::Align::kLeft, TextTable::Align::kRight});
  totals.addRow({"shoppers", std::to_string(day.shoppers)});
  totals.addRow({"visits", std::to_string(day.visits)});
  totals.addRow({"sales committed", std::to_string(day.committed)});
  totals.addRow({"sales queued (provisional receipts)", std::to_string(day.queued)});
  totals.addRow({"points awarded", formatPoints(day.pointsAwarded)});
  totals.addRow({"wall time (s)", fixed(day.wallS, 3)});
  totals.addRow({"visits/s", fixed(day.visitsPerS, 1)});
  if (!day.sampleCard.empty()) {
    totals.addRow({"sample card", day.sampleCard});
  }
  // Skip the empty header line of this two-column list.
  const std::string rendered = totals.render();
  out += rendered.substr(rendered.find('\n') + 1);

  out += "\nlatency at the till (ms)\n";
  TextTable latency({"call", "calls", "p50", "p99", "max"},
                    {TextTable::Align::kLeft, TextTable::Align::kRight, TextTable::Align::kRight,
                     TextTable::Align::kRight, TextTable::Align::kRight});
  auto row = [&](const char* name, const LatencySummary& s) {
    latency.addRow({name, std::to_string(s.count), formatMicrosAsMillis(s.p50Us),
                    formatMicrosAsMillis(s.p99Us), formatMicrosAsMillis(s.maxUs)});
  };
  row("identify", day.identify);
  row("price", day.price);
  row("commit", day.commit);
  out += latency.render();

  out += "\nerrors\n";
  if (day.errors.empty()) {
    out += "none\n";
  } else {
    TextTable errors({"code", "total", "identify", "price", "commit"},
                     {TextTable::Align::kLeft, TextTable::Align::kRight, TextTable::Align::kRight,
                      TextTable::Align::kRight, TextTable::Align::kRight});
    for (const auto& [code, n] : day.errors) {
      std::vector<std::string> cells{code, std::to_string(n)};
      for (const char* call : {"identify", "price", "commit"}) {
        int64_t k = 0;
        if (auto c = day.errorsByCall.find(call); c != day.errorsByCall.end()) {
          if (auto e = c->second.find(code); e != c->second.end()) {
            k = e->second;
          }
        }
        cells.push_back(std::to_string(k));
      }
      errors.addRow(std::move(cells));
    }
    out += errors.render();
  }

  out += "\noutbox after the day: ";
  out += drain.drained ? "drained" : "NOT drained";
  out += ", " + std::to_string(drain.pending) + " pending\n";
  TextTable agents({"agent", "delivered", "pending", "dead letters", "state"},
                   {TextTable::Align::kLeft, TextTable::Align::kRight, TextTable::Align::kRight,
                    TextTable::Align::kRight, TextTable::Align::kLeft});
  for (const AgentDrainState& a : drain.agents) {
    if (!a.isAgent) {
      agents.addRow({a.endpoint.str(), "-", "-", "-", "not an agent (no outbox)"});
      continue;
    }
    agents.addRow({a.endpoint.str(), std::to_string(a.delivered), std::to_string(a.pending),
                   std::to_string(a.deadLetters), a.reachable ? "ok" : "unreachable"});
  }
  out += agents.render();
  return out;
}

std::string formatSummaryJson(const DaySummary& day, const DrainResult& drain) {
  protocol::json::Writer w;
  w.beginObject();
  w.key("shoppers");
  w.value(day.shoppers);
  w.key("visits");
  w.value(day.visits);
  w.key("committed");
  w.value(day.committed);
  w.key("queued");
  w.value(day.queued);
  w.key("points_awarded");
  w.value(day.pointsAwarded.value());
  w.key("errors");
  w.beginObject();
  for (const auto& [code, n] : day.errors) {
    w.key(code);
    w.value(n);
  }
  w.endObject();
  w.key("latency_ms");
  w.beginObject();
  writeLatency(w, "identify", day.identify);
  writeLatency(w, "price", day.price);
  writeLatency(w, "commit", day.commit);
  w.endObject();
  w.key("wall_s");
  w.raw(fixed(day.wallS, 3));
  w.key("visits_per_s");
  w.raw(fixed(day.visitsPerS, 1));
  w.key("drained");
  w.value(drain.drained);
  w.key("outbox_pending");
  w.value(drain.pending);
  w.key("agents");
  w.beginArray();
  for (const AgentDrainState& a : drain.agents) {
    w.beginObject();
    w.key("agent");
    w.value(a.endpoint.str());
    w.key("is_agent");
    w.value(a.isAgent);
    w.key("reachable");
    w.value(a.reachable);
    w.key("delivered");
    w.value(a.delivered);
    w.key("pending");
    w.value(a.pending);
    w.key("dead_letters");
    w.value(a.deadLetters);
    w.endObject();
  }
  w.endArray();
  w.endObject();
  return w.take();
}

}  // namespace loyalty::tools
