// loyalty-ca: the chain's own certificate authority for TLS between the pos-agents and the
// loyalty-core (docs/operations.md, "TLS: the chain's CA, terminal certificates, revocation").
// The commands are in loyalty-ca/ca_cli.h. Single-threaded; no exception leaves main().
#include <ctime>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "loyalty-ca/ca_cli.h"

int main(int argc, char** argv) {
  try {
    const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    return loyalty::tools::ca::runCli(args, std::cout, std::cerr,
                                      static_cast<int64_t>(std::time(nullptr)));
  } catch (const std::exception& e) {
    std::cerr << "loyalty-ca: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "loyalty-ca: unexpected error\n";
  }
  return loyalty::tools::ca::kExitFailure;
}
