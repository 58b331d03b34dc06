// Scenarios offline and drain (issue 5): a pos-agent whose core is down answers identify, price
// and commit on its own (offline), and delivers its queued sales when the core comes back
// (drain: sales per second until the outbox is empty).
//
// offline: pos-agents (--agents, default one per till) whose core is down (their core address is
//   a closed port) play identify -> price -> commit at --tills for --duration (runner.h, after a
//   1 s warm-up), with the agents' own answers ("offline": true, "status": "queued") as the
//   expected ones; reports the latency of each call kind (issue 5: the offline answer within
//   2 ms at p99). Then the same against fresh agents whose core is "blackholed" (started, then
//   stopped with SIGSTOP: it accepts connections and never answers), which shows what the agent's
//   time budget costs each call.
// drain: a core and --agents pos-agents (default 1); the core is stopped with SIGSTOP, --tills
//   tills queue --queued commits through the agents (not measured), the core is resumed with
//   SIGCONT and each agent gets one identify (what a till does next; it also wakes the agent's
//   sender); then the agents' GET /v1/agent/status is polled every 10 ms until every outbox is
//   empty. Reports the drain rate (queued / time from SIGCONT to empty), the rate between 10 %
//   and 90 % delivered, the time to the first delivery, the CPU time the core, the agents and
//   loyalty-bench used meanwhile, and checks that the core stored exactly the queued sales
//   (counted in its database after it stopped). Its errors are the dead letters, the sales not
//   stored exactly once and what was still queued after the deadline (max(120 s, queued / 100
//   s)); the fill's are reported apart. The agents' delivery
//   concurrency is theirs by default; LOYALTY_BENCH_DELIVERY_CONCURRENCY=K sets
//   loyalty.agent.outbox.deliveryConcurrency of the spawned agents (both scenarios).
//
// Both start their own core and agents: --core, --agent-endpoints and --tls do not apply.
//
// Thread safety: runOutage is called once, from main().
#pragma once

#include "common/tafeng.h"
#include "loyalty-bench/bench_options.h"
#include "loyalty-bench/workload.h"

namespace loyalty::tools {

// The environment variable that sets the spawned agents' outbox.deliveryConcurrency (1..64).
inline constexpr const char* kDeliveryConcurrencyEnv = "LOYALTY_BENCH_DELIVERY_CONCURRENCY";

// Runs scenario offline or drain and prints its report (table or --json). Returns the process
// exit status: 0 the run happened, 1 cannot start, 2 bad usage (--core, --tls, or a bad
// LOYALTY_BENCH_DELIVERY_CONCURRENCY).
int runOutage(const BenchOptions& o, const TaFengData& data, const Workload& workload);

}  // namespace loyalty::tools
