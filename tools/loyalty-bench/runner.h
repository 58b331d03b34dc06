// runPhase: plays `tills` concurrent tills for a fixed duration, one thread and one connection
// each (or a new connection per request), and gathers their results.
//
// Each till repeats an iteration (one call, or a flow of calls such as identify -> price ->
// commit) until the phase's end: closed loop (rate 0) sends the next iteration as soon as the
// previous one is answered; open loop follows OpenLoopSchedule and measures the first call of an
// iteration from its scheduled time (later calls of a flow depend on the earlier answers and are
// measured from their own send). A failed call ends its iteration. No iteration starts after the
// end; a call in flight at the end finishes (or times out) and is counted.
//
// Thread safety: runPhase is re-entrant; makeCalls is called from every till thread at once.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "common/endpoint.h"
#include "loyalty-bench/bench_report.h"
#include "loyalty-bench/workload.h"

namespace loyalty::agent {
class ClientTls;  // loyalty/agent/client.h
}

namespace loyalty::tools {

struct PhaseSpec {
  std::string label;
  std::vector<Endpoint> endpoints;  // till t talks to endpoints[t % size]; non-empty
  int tills = 1;
  double durationS = 1;
  double rate = 0;  // iterations per second over all tills; 0 = closed loop
  int timeoutMs = 2000;
  bool newConnectionPerRequest = false;
  // Scenario offline: an answer a pos-agent gave by itself ("offline":true, "status":"queued")
  // is the expected 2xx and one from the core an error. Otherwise (false) the reverse.
  bool expectAgentAnswers = false;
  // When set, every till speaks HTTPS with it (its certificate; sessions resumed across the
  // tills' new connections); null: plain HTTP.
  std::shared_ptr<agent::ClientTls> tls;
  // The calls of till `till`'s iteration `k`.
  std::function<std::vector<Call>(int till, int64_t k)> makeCalls;
};

PhaseResult runPhase(const PhaseSpec& spec);

}  // namespace loyalty::tools
