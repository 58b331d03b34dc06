// SimOptions: the command line of loyalty-sim, parsed and validated.
//
// parseSimOptions() accepts "--name value" and "--name=value"; it never touches the clock, the
// network or the file system: defaults that depend on the time (business date, run id) are
// derived from the `nowMs` it is given. Every refusal is kInvalidValue with a message meant for
// the user (the caller prints it and exits 2).
//
// Invariants of a parsed SimOptions (unless help is set):
//   - tafengDir is non-empty; agents is non-empty unless writeCatalogue is set;
//   - 1 <= lanes <= kMaxLanes; shoppers >= 1; visitsPerShopper >= 1; pace >= 0 and finite;
//   - store is a protocol identifier (1..32 of [A-Za-z0-9_-]); businessDate is a real date;
//   - runId is 1..kMaxRunIdLength of [A-Za-z0-9_-], so that "<run-id>-<lane>-<seq>" always fits
//     in the 32 characters of a transaction number.
//
// Thread safety: re-entrant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/endpoint.h"
#include "loyalty/base/result.h"

namespace loyalty::tools {

inline constexpr int kMaxLanes = 256;
inline constexpr size_t kMaxRunIdLength = 16;

struct SimOptions {
  bool help = false;
  std::string tafengDir;
  std::vector<Endpoint> agents;
  int lanes = 4;
  std::string store = "S001";
  int64_t shoppers = 500;
  uint64_t seed = 42;
  int64_t visitsPerShopper = 2;
  double pace = 0;             // visits per second over all lanes; 0 = as fast as possible
  std::string businessDate;    // default: the UTC date of nowMs
  std::string runId;           // default: the UTC time of nowMs as HHMMSS
  std::string writeCatalogue;  // when set: write the catalogue CSV there and exit
  bool json = false;
  int drainTimeoutS = 60;
  int timeoutMs = 2000;  // per HTTP call (connect, send, receive each)
};

// args: the arguments after the program name. nowMs: the current time (ms since the epoch).
base::Result<SimOptions> parseSimOptions(const std::vector<std::string>& args, int64_t nowMs);

std::string simUsage();

// True when s is 1..max characters of [A-Za-z0-9_-] (store, terminal, txn, run id).
bool isIdentifier(const std::string& s, size_t max);

}  // namespace loyalty::tools
