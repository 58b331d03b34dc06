// placeholder: being written
#include "loyalty-bench/outage.h"

#include <iostream>

namespace loyalty::tools {

int runOutage(const BenchOptions&, const TaFengData&, const Workload&) {
  std::cerr << "loyalty-bench: scenarios offline and drain are not available yet\n";
  return 1;
}

}  // namespace loyalty::tools
