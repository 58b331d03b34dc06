// loyalty-eval: offline evaluation of the personalised-coupon scorer on real basket data.
// A thin main over loyalty_eval_lib (see eval_options.h for the command line).
#include <iostream>
#include <string>
#include <vector>

#include "loyalty-eval/eval_data.h"
#include "loyalty-eval/eval_options.h"
#include "loyalty-eval/eval_report.h"
#include "loyalty-eval/eval_runner.h"
#include "loyalty-eval/eval_timing.h"

namespace {

constexpr int kExitData = 1;
constexpr int kExitUsage = 2;

}  // namespace

int main(int argc, char** argv) {
  using namespace loyalty::tools::eval;
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = parseArgs(args);
  if (!parsed) {
    std::cerr << "loyalty-eval: " << parsed.error().message << "\n\n" << usage();
    return kExitUsage;
  }
  const CliOptions& options = parsed.value();
  if (options.help) {
    std::cout << usage();
    return 0;
  }
  auto progress = [](const std::string& line) { std::cerr << "loyalty-eval: " << line << "\n"; };

  const bool tafeng = !options.tafengDir.empty();
  const std::string source =
      tafeng ? "TaFeng JSON in " + options.tafengDir : "CSV " + options.basketsCsv;
  progress("loading " + source);
  auto loaded = tafeng ? loadTaFengDir(options.tafengDir) : loadBasketCsv(options.basketsCsv);
  if (!loaded) {
    std::cerr << "loyalty-eval: " << loaded.error().message << "\n";
    return kExitData;
  }
  const EvalData data = applyFilters(loaded.value(), options.filters);
  const DataStats stats = statsOf(data);
  progress("loaded " + std::to_string(stats.users) + " users, " + std::to_string(stats.baskets) +
           " baskets, " + std::to_string(stats.items) + " items");

  if (options.timing) {
    auto timed = runTiming(data, options.eval.system, options.timingOptions, progress);
    if (!timed) {
      std::cerr << "loyalty-eval: " << timed.error().message << "\n";
      return kExitData;
    }
    std::cout << (options.json ? renderTimingJson(timed.value(), options.timingOptions)
                               : renderTimingText(timed.value(), options.timingOptions, source));
    return 0;
  }

  if (options.tune) {
    auto rows = tune(data, TuneGrid(), options.eval.folds, options.eval.seed, options.eval.system,
                     progress);
    if (!rows) {
      std::cerr << "loyalty-eval: " << rows.error().message << "\n";
      return kExitData;
    }
    std::cout << renderTune(rows.value(), 30);
    return 0;
  }

  auto result = runEvaluation(data, options.eval, progress);
  if (!result) {
    std::cerr << "loyalty-eval: " << result.error().message << "\n";
    return kExitData;
  }
  if (options.json) {
    std::cout << renderJson(result.value());
  } else {
    std::cout << renderText(result.value(), options.eval,
                            ReportContext{source, options.eval.folds, options.eval.seed});
  }
  return 0;
}
