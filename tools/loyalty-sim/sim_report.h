// The summary loyalty-sim prints after the day: a human-readable table, or one JSON object
// (--json) of the form
//   {"shoppers":N,"visits":N,"committed":N,"queued":N,"points_awarded":N,
//    "errors":{"<code>":N,...},
//    "latency_ms":{"identify":{"p50":X,"p99":X,"max":X},"price":{...},"commit":{...}},
//    "wall_s":X,"visits_per_s":X,"drained":true|false,"outbox_pending":N,
//    "agents":[{"agent":"H:P","is_agent":B,"reachable":B,"delivered":N,"pending":N,
//               "dead_letters":N},...]}
// where N are integers and X decimals (milliseconds with 3 decimals, seconds with 3, rates with 1).
//
// Thread safety: re-entrant.
#pragma once

#include <string>

#include "loyalty-sim/simulator.h"

namespace loyalty::tools {

std::string formatSummaryTable(const DaySummary& day, const DrainResult& drain);
std::string formatSummaryJson(const DaySummary& day, const DrainResult& drain);

}  // namespace loyalty::tools
