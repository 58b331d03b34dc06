#include "loyalty-eval/eval_report.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "common/text_format.h"
#include "loyalty/protocol/json.h"

namespace loyalty::tools::eval {
namespace {

namespace pz = core::personalization;

std::string fixed(double v, int decimals) {
  if (std::isnan(v)) {
    return "n/a";
  }
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, v);
  return buffer;
}

std::string jsonNumber(double v) {
  if (!std::isfinite(v)) {
    return "null";
  }
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.6f", v);
  return buffer;
}

const char* similarityName(pz::Similarity s) {
  return s == pz::Similarity::kEuclidean ? "euclidean" : "cosine";
}

}  // namespace

std::string formatSummary(const Summary& s) {
  if (std::isnan(s.mean)) {
    return "n/a";
  }
  return fixed(s.mean, 4) + " ± " + fixed(s.std, 4);
}

std::string describeParams(const pz::PersonalizationParams& p) {
  std::ostringstream out;
  out << "decay " << p.profile.decayRate << ", capacity " << p.profile.capacity << ", k "
      << p.neighbours.k << " (" << similarityName(p.neighbours.similarity) << "), top items "
      << p.neighbours.topItems << ", alpha " << p.scorer.alpha;
  return out.str();
}

std::string renderText(const EvalResult& result, const EvalOptions& options,
                       const ReportContext& context) {
  std::ostringstream out;
  const DataStats& s = result.stats;
  out << "data: " << context.source << ": " << s.users << " users (" << s.usersWithTarget
      << " with a target), " << s.baskets << " baskets, " << s.items << " items, " << s.rows
      << " basket-item rows\n";
  out << "protocol: " << context.folds << " folds (seeds " << context.seed << ".."
      << context.seed + context.folds - 1 << "), " << result.trainUsers << " train / "
      << result.validationUsers << " validation / " << result.testUsers
      << " test users per fold; mean ± sample std over folds\n";
  for (const MethodResult& m : result.methods) {
    if (m.name == "system") {
      out << "system: " << describeParams(options.system) << "\n";
    }
  }
  out << "\n";

  std::vector<std::string> headers = {"metric"};
  std::vector<TextTable::Align> aligns = {TextTable::Align::kLeft};
  for (const MethodResult& m : result.methods) {
    headers.push_back(m.name);
    aligns.push_back(TextTable::Align::kRight);
  }
  TextTable table(headers, aligns);
  const auto& defs = metricDefs();
  for (size_t i = 0; i < defs.size(); ++i) {
    std::vector<std::string> row = {defs[i].name};
    for (const MethodResult& m : result.methods) {
      row.push_back(formatSummary(m.summary[i]));
    }
    table.addRow(std::move(row));
  }
  out << table.render();

  if (!result.timings.empty()) {
    out << "\nsystem cost on this machine (microseconds):\n";
    TextTable timing(
        {"step", "samples", "mean", "p50", "p99", "max"},
        {TextTable::Align::kLeft, TextTable::Align::kRight, TextTable::Align::kRight,
         TextTable::Align::kRight, TextTable::Align::kRight, TextTable::Align::kRight});
    for (const TimingSummary& t : result.timings) {
      timing.addRow({t.what, std::to_string(t.samples), fixed(t.meanMicros, 1),
                     fixed(t.p50Micros, 1), fixed(t.p99Micros, 1), fixed(t.maxMicros, 1)});
    }
    out << timing.render();
  }
  return out.str();
}

std::string renderJson(const EvalResult& result) {
  std::string out = "{\"methods\": {";
  const auto& defs = metricDefs();
  for (size_t m = 0; m < result.methods.size(); ++m) {
    const MethodResult& method = result.methods[m];
    if (m > 0) {
      out += ", ";
    }
    protocol::json::appendQuoted(out, method.name);
    out += ": {";
    bool first = true;
    for (size_t i = 0; i < defs.size(); ++i) {
      if (!defs[i].inJson) {
        continue;
      }
      if (!first) {
        out += ", ";
      }
      first = false;
      protocol::json::appendQuoted(out, defs[i].name);
      out += ": {\"mean\": " + jsonNumber(method.summary[i].mean) +
             ", \"std\": " + jsonNumber(method.summary[i].std) + "}";
    }
    out += "}";
  }
  out += "}}\n";
  return out;
}

std::string renderTune(const std::vector<TuneRow>& rows, size_t limit) {
  TextTable table({"rank", "decay", "similarity", "k", "alpha", "val recall@10", "val ndcg@10",
                   "val phr@10", "val explore_recall@10"},
                  {TextTable::Align::kRight, TextTable::Align::kRight, TextTable::Align::kLeft,
                   TextTable::Align::kRight, TextTable::Align::kRight, TextTable::Align::kRight,
                   TextTable::Align::kRight, TextTable::Align::kRight, TextTable::Align::kRight});
  for (size_t i = 0; i < rows.size() && i < limit; ++i) {
    const TuneRow& r = rows[i];
    table.addRow({std::to_string(i + 1), fixed(r.params.profile.decayRate, 2),
                  similarityName(r.params.neighbours.similarity),
                  std::to_string(r.params.neighbours.k), fixed(r.params.scorer.alpha, 2),
                  formatSummary(r.recall10), formatSummary(r.ndcg10), formatSummary(r.phr10),
                  formatSummary(r.exploreRecall10)});
  }
  std::string out =
      "validation users only (test users unseen), mean ± std over folds, best recall@10 "
      "first:\n" +
      table.render();
  if (!rows.empty()) {
    out += "chosen (best validation ndcg@10 within 0.001 of the best validation recall@10): " +
           describeParams(chooseTuned(rows).params) + "\n";
  }
  return out;
}

}  // namespace loyalty::tools::eval
