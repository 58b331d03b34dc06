// loyaltyctl (the real binary) against the real loyalty-core on 127.0.0.1 (port chosen by the
// OS), set up as an operator would: a bootstrap HQ admin from a password file, then login and the
// admin commands, a store manager's refused change, and the audit log showing both.
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <future>
#include <string>
#include <vector>

#include "loyalty/protocol/json.h"
#include "support/test_support.h"

namespace loyalty::tools {
namespace {

struct Ran {
  int exit = -1;
  std::string out;
  std::string err;
};

Ran run(const std::vector<std::string>& args, const Poco::Process::Env& env) {
  Poco::Pipe outPipe;
  Poco::Pipe errPipe;
  Poco::ProcessHandle handle =
      Poco::Process::launch(LOYALTYCTL_EXE, args, nullptr, &outPipe, &errPipe, env);
  auto errText = std::async(std::launch::async, [&errPipe] {
    Poco::PipeInputStream in(errPipe);
    std::string s;
    Poco::StreamCopier::copyToString(in, s);
    return s;
  });
  Ran r;
  {
    Poco::PipeInputStream in(outPipe);
    Poco::StreamCopier::copyToString(in, r.out);
  }
  r.err = errText.get();
  r.exit = handle.wait();
  return r;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("loyaltyctl: administers a real core end to end", "[tools][integration]") {
  testing::TempDir dir("loyaltyctl-core");
  const std::string rootPassword = "bootstrap-" + std::to_string(::getpid());
  testing::writeFile(dir.file("admin.password"), rootPassword + "\n");
  testing::writeFile(dir.file("maria.password"), "maria-password\n");
  testing::writeFile(dir.file("core.properties"),
                     "loyalty.core.http.host = 127.0.0.1\n"
                     "loyalty.core.http.port = 0\n"
                     "loyalty.core.http.portFile = core.port\n"
                     "loyalty.core.storage.path = core.db\n"
                     "loyalty.core.admin.bootstrapUser = root\n"
                     "loyalty.core.admin.bootstrapPasswordFile = admin.password\n"
                     "loyalty.core.admin.passwordIterations = 1000\n");
  testing::ChildProcess core(testing::coreBinary(), {"--config=" + dir.file("core.properties")},
                             dir.file("core.log"));
  const uint16_t port = testing::waitForPortFile(dir.file("core.port"));
  INFO("core log: " << testing::readFile(dir.file("core.log")));
  REQUIRE(port != 0);
  const std::string address = "127.0.0.1:" + std::to_string(port);
  const Poco::Process::Env noToken{{"LOYALTY_CORE", address}};

  // Login: the token alone on stdout, for LOYALTY_TOKEN.
  const Ran login =
      run({"login", "--user", "root", "--password-file", dir.file("admin.password")}, noToken);
  INFO(login.err);
  REQUIRE(login.exit == 0);
  const std::string token = login.out.substr(0, login.out.find('\n'));
  CHECK(token.size() == 64);
  const Poco::Process::Env env{{"LOYALTY_CORE", address}, {"LOYALTY_TOKEN", token}};

  const Ran wrong =
      run({"login", "--user", "root", "--password-file", dir.file("maria.password")}, noToken);
  CHECK(wrong.exit == 1);
  CHECK(wrong.err == "loyaltyctl: unauthorized: wrong user name or password\n");
  const Ran anonymous = run({"campaigns", "list", "--token", std::string(64, '0')}, noToken);
  CHECK(anonymous.exit == 1);
  CHECK(anonymous.err.rfind("loyaltyctl: unauthorized: ", 0) == 0);

  // Users.
  const Ran add = run({"users", "add", "maria", "--role", "store_manager", "--stores", "S1",
                       "--password-file", dir.file("maria.password")},
                      env);
  INFO(add.err);
  CHECK(add.exit == 0);
  CHECK(add.out == "user maria added (store_manager)\n");
  const Ran users = run({"users", "list"}, env);
  CHECK(contains(users.out, "maria  store_manager  S1"));
  CHECK(contains(users.out, "root   hq_admin"));

  // Catalogue (now behind the token).
  testing::writeFile(dir.file("catalogue.csv"),
                     "sku,name,category_path,brand\nP12,Milk,dairy/milk,Moo\nP7,Bread,bakery,\n");
  const Ran catalogue = run({"catalogue", "import", dir.file("catalogue.csv")}, env);
  INFO(catalogue.err);
  CHECK(catalogue.out == "imported 2 products\n");

  // Programme: show gives a file that set accepts; preview runs over the stored sales.
  const Ran show = run({"programme", "show"}, env);
  REQUIRE(show.exit == 0);
  REQUIRE(protocol::json::parse(show.out).ok());
  testing::writeFile(dir.file("programme.json"), R"({"expiry_months":12,"clawback":"offset"})");
  const Ran set = run({"programme", "set", dir.file("programme.json")}, env);
  INFO(set.err);
  CHECK(set.exit == 0);
  CHECK(contains(run({"--json", "programme", "show"}, env).out, "\"expiry_months\":12"));
  const Ran preview =
      run({"programme", "preview", dir.file("programme.json"), "--days", "30"}, env);
  INFO(preview.err);
  CHECK(preview.exit == 0);
  CHECK(contains(preview.out, "sales scanned"));

  // Campaigns.
  testing::writeFile(dir.file("campaign.json"),
                     R"({"name":"Milk for S1","stores":["S1"],"reward":{"kind":"amount_off",)"
                     R"("target":"sku","value":"P12","amount":50}})");
  const Ran created = run({"campaigns", "create", dir.file("campaign.json")}, env);
  INFO(created.err);
  REQUIRE(created.exit == 0);
  CHECK(created.out.rfind("campaign 1 created (draft)\n", 0) == 0);
  CHECK(run({"campaigns", "status", "1", "active"}, env).out == "campaign 1 is active\n");
  const Ran list = run({"campaigns", "list"}, env);
  CHECK(contains(list.out, "Milk for S1  active"));
  CHECK(contains(list.out, "0.50 off P12"));
  const Ran campaignPreview =
      run({"campaigns", "preview", dir.file("campaign.json"), "--days", "7"}, env);
  INFO(campaignPreview.err);
  CHECK(campaignPreview.exit == 0);
  // This core has no signing key: issuing is refused with a clear code.
  testing::writeFile(dir.file("cards.txt"), "9000000000019\n");
  const Ran issue = run({"campaigns", "issue", "1", "--cards", dir.file("cards.txt")}, env);
  CHECK(issue.exit == 1);
  CHECK(issue.err.rfind("loyaltyctl: coupons_not_configured: ", 0) == 0);

  // A store manager may not create a campaign for another store; the refusal is audited.
  const Ran maria =
      run({"login", "--user", "maria", "--password-file", dir.file("maria.password")}, noToken);
  REQUIRE(maria.exit == 0);
  const std::string mariaToken = maria.out.substr(0, maria.out.find('\n'));
  testing::writeFile(dir.file("s2.json"),
                     R"({"name":"S2 raid","stores":["S2"],"reward":{"kind":"bonus_points",)"
                     R"("target":"basket","points":100}})");
  const Ran refused =
      run({"campaigns", "create", dir.file("s2.json"), "--token", mariaToken}, noToken);
  CHECK(refused.exit == 1);
  CHECK(refused.err.rfind("loyaltyctl: forbidden: ", 0) == 0);

  CHECK(run({"points", "expire"}, env).exit == 0);
  CHECK(run({"coupons", "conflicts"}, env).out == "no coupon conflicts\n");
  const Ran audit = run({"audit", "--limit", "50"}, env);
  INFO(audit.out);
  CHECK(audit.exit == 0);
  CHECK(contains(audit.out, "maria  campaign.create"));
  CHECK(contains(audit.out, "denied"));
  CHECK(contains(audit.out, "root   programme.update"));
  CHECK(contains(audit.out, "user.bootstrap"));
}

}  // namespace
}  // namespace loyalty::tools
