// The loyalty-ca command line over loyalty-ca/ca.h, apart from main() so that the tests can run
// it in-process with a fixed clock.
//
//   loyalty-ca init --out DIR [--name NAME]
//   loyalty-ca issue --ca DIR --kind server --name HOST --out DIR
//   loyalty-ca issue --ca DIR --kind terminal --store S --terminal T --out DIR
//   loyalty-ca revoke --ca DIR (--cert FILE | --serial HEX)
//   loyalty-ca show FILE
//
// Exit status (as loyalty-keys): 0 done, 1 failure (I/O, bad file, file exists), 2 usage error.
// Thread safety: re-entrant; writes only to the given streams and the named directories.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace loyalty::tools::ca {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

extern const std::string_view kUsage;

// args: without the program name. now: seconds since the epoch.
int runCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, int64_t now);

}  // namespace loyalty::tools::ca
