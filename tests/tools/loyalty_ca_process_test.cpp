// Process tests of the loyalty-ca binary: the whole life of a CA through the command line, file
// modes, what it prints, and the exit status (0 ok, 1 failure, 2 usage error).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace loyalty::tools {
namespace {

using loyalty::testing::ChildProcess;
using loyalty::testing::readFile;
using loyalty::testing::TempDir;

struct Run {
  int status = -1;
  std::string output;  // stdout and stderr
};

Run runCa(const TempDir& dir, const std::vector<std::string>& args) {
  static int counter = 0;
  const std::string log = dir.file("run-" + std::to_string(++counter) + ".log");
  ChildProcess process(LOYALTY_CA_EXE, args, log);
  Run run;
  run.status = process.wait();
  run.output = readFile(log);
  return run;
}

unsigned fileMode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<unsigned>(st.st_mode & 0777);
}

// The value printed after "key: " on its own line.
std::string field(const std::string& output, const std::string& key) {
  const size_t at = output.find("\n" + key + ": ");
  const size_t start = at == std::string::npos ? output.find(key + ": ") : at + 1;
  if (start == std::string::npos || (at == std::string::npos && start != 0)) {
    return "";
  }
  const size_t from = start + key.size() + 2;
  return output.substr(from, output.find('\n', from) - from);
}

TEST_CASE("loyalty-ca process: init, issue, revoke and show", "[tools]") {
  TempDir dir("loyalty-ca-process");
  const std::string ca = dir.file("ca");

  Run init = runCa(dir, {"init", "--out", ca, "--name", "Process Test CA"});
  INFO(init.output);
  REQUIRE(init.status == 0);
  CHECK(field(init.output, "subject") == "CN=Process Test CA");
  CHECK(fileMode(ca + "/ca.key.pem") == 0600);

  Run server = runCa(dir, {"issue", "--ca", ca, "--kind", "server", "--name", "127.0.0.1", "--out",
                           dir.file("core")});
  INFO(server.output);
  REQUIRE(server.status == 0);
  CHECK(fileMode(dir.file("core/server-127.0.0.1.key.pem")) == 0600);

  Run till = runCa(dir, {"issue", "--ca", ca, "--kind", "terminal", "--store", "S042", "--terminal",
                         "T03", "--out", dir.file("till")});
  INFO(till.output);
  REQUIRE(till.status == 0);
  CHECK(field(till.output, "subject") == "CN=S042/T03");
  const std::string serial = field(till.output, "serial");
  REQUIRE(serial.size() == 32);
  const std::string cert = dir.file("till/terminal-S042-T03.cert.pem");

  Run show = runCa(dir, {"show", cert});
  INFO(show.output);
  REQUIRE(show.status == 0);
  CHECK(field(show.output, "serial") == serial);
  CHECK(field(show.output, "issuer") == "CN=Process Test CA");

  // Never overwritten: a second issue for the same till into the same directory fails.
  const std::string keyBefore = readFile(dir.file("till/terminal-S042-T03.key.pem"));
  Run again = runCa(dir, {"issue", "--ca", ca, "--kind", "terminal", "--store", "S042",
                          "--terminal", "T03", "--out", dir.file("till")});
  CHECK(again.status == 1);
  CHECK_THAT(again.output, Catch::Contains("already exists"));
  CHECK(readFile(dir.file("till/terminal-S042-T03.key.pem")) == keyBefore);

  Run revoke = runCa(dir, {"revoke", "--ca", ca, "--cert", cert});
  INFO(revoke.output);
  REQUIRE(revoke.status == 0);
  CHECK_THAT(revoke.output, Catch::Contains("revoked " + serial));
  Run crl = runCa(dir, {"show", ca + "/ca.crl.pem"});
  REQUIRE(crl.status == 0);
  CHECK(field(crl.output, "revoked") == "1");
  CHECK_THAT(crl.output, Catch::Contains("  " + serial + " since "));

  Run twice = runCa(dir, {"revoke", "--ca", ca, "--serial", serial});
  CHECK(twice.status == 0);
  CHECK_THAT(twice.output, Catch::Contains("already revoked"));
}

TEST_CASE("loyalty-ca process: usage errors exit 2, failures exit 1", "[tools]") {
  TempDir dir("loyalty-ca-process");
  Run help = runCa(dir, {"--help"});
  CHECK(help.status == 0);
  CHECK_THAT(help.output, Catch::Contains("loyalty-ca revoke --ca DIR --cert FILE"));

  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"init"},
           {"init", "--out"},
           {"init", "--out", dir.file("a"), "--out", dir.file("b")},
           {"issue", "--ca", dir.file("ca"), "--kind", "printer", "--out", dir.file("o")},
           {"issue", "--ca", dir.file("ca"), "--kind", "server", "--out", dir.file("o")},
           {"issue", "--ca", dir.file("ca"), "--kind", "terminal", "--store", "S1", "--out",
            dir.file("o")},
           {"revoke", "--ca", dir.file("ca")},
           {"revoke", "--ca", dir.file("ca"), "--cert", "x.pem", "--serial", "01"},
           {"show"},
       }) {
    Run run = runCa(dir, args);
    INFO(run.output);
    CHECK(run.status == 2);
    CHECK_THAT(run.output, Catch::Contains("usage:"));
  }

  Run noCa = runCa(dir, {"issue", "--ca", dir.file("missing"), "--kind", "server", "--name",
                         "core.example", "--out", dir.file("o")});
  CHECK(noCa.status == 1);
  Run noFile = runCa(dir, {"show", dir.file("missing.pem")});
  CHECK(noFile.status == 1);
  REQUIRE(runCa(dir, {"init", "--out", dir.file("ca")}).status == 0);
  Run reinit = runCa(dir, {"init", "--out", dir.file("ca")});
  CHECK(reinit.status == 1);
  CHECK_THAT(reinit.output, Catch::Contains("refusing to overwrite"));
}

}  // namespace
}  // namespace loyalty::tools
