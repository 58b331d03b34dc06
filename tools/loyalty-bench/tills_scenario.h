// Scenario tills (issue 5): many tills (--tills, up to kMaxEventTills) that connect, send a sale,
// idle and reconnect, at a fixed total rate (--rate sales/s, default 1,000), driven by one
// epoll-based client instead of a thread per till. Reports latency, errors, starved connections
// and the peak number of open connections at the core.
//
// placeholder: being written
#pragma once

#include "common/tafeng.h"
#include "loyalty-bench/bench_options.h"
#include "loyalty-bench/workload.h"

namespace loyalty::tools {

// Runs the scenario and prints its report (table or --json). Returns the process exit status:
// 0 the run happened, 1 cannot start.
int runTills(const BenchOptions& o, const TaFengData& data, const Workload& workload);

}  // namespace loyalty::tools
