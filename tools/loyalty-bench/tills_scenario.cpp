// placeholder: being written
#include "loyalty-bench/tills_scenario.h"

#include <iostream>

namespace loyalty::tools {

int runTills(const BenchOptions&, const TaFengData&, const Workload&) {
  std::cerr << "loyalty-bench: scenario tills is not available yet\n";
  return 1;
}

}  // namespace loyalty::tools
