// loyalty-eval's command line (usage() is the reference):
//   loyalty-eval (--tafeng DIR | --baskets FILE.csv) [--folds N] [--seed S] [--min-baskets N]
//                [--max-baskets N] [--min-item-count N] [--methods a,b,...] [--json]
//                [--alpha A] [--decay R] [--capacity N] [--neighbours K]
//                [--similarity euclidean|cosine] [--tifu-alpha A] [--tune] [--score-validation]
//                [--timing [--timing-min-baskets N] [--timing-shoppers N] [--timing-repeat N]
//                 [--timing-count N] [--timing-discover P]] [--help]
// Values may follow as the next argument or after '=' (--folds=5).
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "loyalty-eval/eval_data.h"
#include "loyalty-eval/eval_runner.h"
#include "loyalty-eval/eval_timing.h"
#include "loyalty/base/result.h"

namespace loyalty::tools::eval {

struct CliOptions {
  std::string tafengDir;
  std::string basketsCsv;
  FilterOptions filters;
  EvalOptions eval;
  bool json = false;
  bool tune = false;
  bool timing = false;  // --timing: the commit-cost benchmark instead of the evaluation
  TimingOptions timingOptions;
  bool help = false;
};

// args: the arguments after the program name.
// Errors: kInvalidValue with a message naming the option.
base::Result<CliOptions> parseArgs(const std::vector<std::string>& args);

std::string usage();

}  // namespace loyalty::tools::eval
