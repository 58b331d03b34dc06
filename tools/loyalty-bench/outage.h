// Scenarios offline and drain (issue 5): a pos-agent whose core is down answers identify, price
// and commit on its own (offline), and delivers its queued sales when the core comes back
// (drain: sales per second until the outbox is empty).
//
// placeholder: being written
#pragma once

#include "common/tafeng.h"
#include "loyalty-bench/bench_options.h"
#include "loyalty-bench/workload.h"

namespace loyalty::tools {

// Runs scenario offline or drain and prints its report (table or --json). Returns the process
// exit status: 0 the run happened, 1 cannot start.
int runOutage(const BenchOptions& o, const TaFengData& data, const Workload& workload);

}  // namespace loyalty::tools
