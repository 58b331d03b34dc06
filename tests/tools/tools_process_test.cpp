// Process tests of the two binaries, loyalty-sim and loyaltyctl, over the real HTTP client
// against fake servers on 127.0.0.1 (ports chosen by the OS): exit codes, the requests they
// send on the wire, and what they print.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/synthetic_catalogue.h"
#include "common/tafeng.h"
#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/errors.h"
#include "loyalty/protocol/json.h"

namespace loyalty::tools {
namespace {

namespace fs = std::filesystem;
using base::ErrorCode;

// ---- a fake HTTP server ----------------------------------------------------------------------

struct HttpAnswer {
  int status = 200;
  std::string body;
  std::string contentType = "application/json";
};
using Route = std::function<HttpAnswer(const std::string& method, const std::string& uri,
                                       const std::string& body)>;

HttpAnswer problem(ErrorCode code, const std::string& detail) {
  HttpAnswer a;
  a.status = protocol::httpStatus(code);
  a.body = protocol::encode(protocol::errorBody(base::makeError(code, detail), "test"));
  a.contentType = "application/problem+json";
  return a;
}

// The Authorization header of every request a FakeServer got, in order ("" when none).
struct SeenHeaders {
  std::mutex mu;
  std::vector<std::string> authorization;
};

class RouteHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  RouteHandler(const Route& route, SeenHeaders& seen) : route_(route), seen_(seen) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    {
      std::lock_guard<std::mutex> lock(seen_.mu);
      seen_.authorization.push_back(request.get("Authorization", ""));
    }
    std::string body;
    Poco::StreamCopier::copyToString(request.stream(), body);
    const HttpAnswer a = route_(request.getMethod(), request.getURI(), body);
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(a.status));
    response.setContentType(a.contentType);
    response.setContentLength64(static_cast<Poco::Int64>(a.body.size()));
    response.send() << a.body;
  }

 private:
  const Route& route_;
  SeenHeaders& seen_;
};

class RouteFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  RouteFactory(const Route& route, SeenHeaders& seen) : route_(route), seen_(seen) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new RouteHandler(route_, seen_);
  }

 private:
  const Route& route_;
  SeenHeaders& seen_;
};

// Serves `route` on 127.0.0.1:<port chosen by the OS> until destroyed. The route runs on the
// server's threads: it must lock whatever it shares.
class FakeServer {
 public:
  explicit FakeServer(Route route)
      : route_(std::move(route)),
        pool_(2, 8),
        server_(new RouteFactory(route_, seen_), pool_,
                Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0)),
                new Poco::Net::HTTPServerParams) {
    server_.start();
  }
  ~FakeServer() {
    server_.stopAll(true);
    pool_.joinAll();
  }
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;
  FakeServer(FakeServer&&) = delete;
  FakeServer& operator=(FakeServer&&) = delete;

  std::string address() const { return "127.0.0.1:" + std::to_string(server_.port()); }
  std::vector<std::string> authorizations() {
    std::lock_guard<std::mutex> lock(seen_.mu);
    return seen_.authorization;
  }

 private:
  const Route route_;
  SeenHeaders seen_;
  Poco::ThreadPool pool_;
  Poco::Net::HTTPServer server_;
};

// ---- running a binary ------------------------------------------------------------------------

struct ProcessResult {
  int exit = -1;
  std::string out;
  std::string err;
};

// Runs exe with args (and extra environment variables); kills it after 120 s so that a hang
// fails the test instead of blocking the suite.
ProcessResult runProcess(const std::string& exe, const std::vector<std::string>& args,
                         const Poco::Process::Env& env = {}) {
  Poco::Pipe outPipe;
  Poco::Pipe errPipe;
  Poco::ProcessHandle handle = Poco::Process::launch(exe, args, nullptr, &outPipe, &errPipe, env);
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  std::thread watchdog([&] {
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(120), [&] { return finished; })) {
      Poco::Process::kill(handle);
    }
  });
  auto errText = std::async(std::launch::async, [&errPipe] {
    Poco::PipeInputStream in(errPipe);
    std::string s;
    Poco::StreamCopier::copyToString(in, s);
    return s;
  });
  ProcessResult r;
  {
    Poco::PipeInputStream in(outPipe);
    Poco::StreamCopier::copyToString(in, r.out);
  }
  r.err = errText.get();
  r.exit = handle.wait();
  {
    std::lock_guard<std::mutex> lock(mu);
    finished = true;
  }
  cv.notify_all();
  watchdog.join();
  return r;
}

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ =
        fs::temp_directory_path() / ("loyalty-tools-process-test-" + std::to_string(::getpid()) +
                                     "-" + std::to_string(counter.fetch_add(1)));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&&) = delete;
  TempDir& operator=(TempDir&&) = delete;
  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
  }

 private:
  fs::path path_;
};

// Six shoppers, each with at least two baskets.
void writeSmallTaFeng(const TempDir& dir) {
  dir.write(kTaFengHistoryFile,
            R"({"1": [[-1], [0, 1, 2], [3], [-1]], "2": [[-1], [4, 5], [-1]],)"
            R"( "3": [[-1], [6], [7, 8], [9], [-1]], "4": [[-1], [1, 9], [-1]],)"
            R"( "5": [[-1], [2], [-1]], "6": [[-1], [10, 11, 12], [-1]]})");
  dir.write(kTaFengFutureFile,
            R"({"1": [[-1], [4, 0], [-1]], "2": [[-1], [3], [-1]], "3": [[-1], [8], [-1]],)"
            R"( "4": [[-1], [5], [-1]], "5": [[-1], [6, 7], [-1]], "6": [[-1], [1], [-1]]})");
}

// A port on which nothing listens (bound by the OS, then released).
std::string deadAddress() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  std::string address = "127.0.0.1:" + std::to_string(s.address().port());
  s.close();
  return address;
}

const protocol::json::Value& member(const protocol::json::Value& v, const char* key) {
  const protocol::json::Value* m = v.find(key);
  INFO(key);
  REQUIRE(m != nullptr);
  return *m;
}

// ---- a fake pos-agent ------------------------------------------------------------------------

// Answers like a pos-agent: commits with an even sequence number are "queued" and delivered
// later, two per status call; commits whose sequence number is 3 are refused as an idempotency
// conflict; the others are committed with one point per whole currency unit.
struct FakeAgent {
  std::mutex mu;
  std::map<std::string, protocol::PriceRequest> prices;  // by txn
  std::vector<protocol::CommitRequest> commits;
  std::set<std::string> terminals;
  int64_t identifies = 0;
  int64_t pointsGiven = 0;
  int64_t pending = 0;
  int64_t delivered = 0;
  int64_t refused = 0;
  int64_t badRequests = 0;

  static int64_t seq(const std::string& txn) { return std::stoll(txn.substr(txn.rfind('-') + 1)); }

  HttpAnswer serve(const std::string& method, const std::string& uri, const std::string& body) {
    std::lock_guard<std::mutex> lock(mu);
    if (method == "POST" && uri == "/v1/identify") {
      auto req = protocol::decodeIdentifyRequest(body);
      if (!req) {
        ++badRequests;
        return problem(req.error().code, req.error().message);
      }
      ++identifies;
      terminals.insert(req->terminal);
      protocol::IdentifyResponse r;
      r.customerId = 1;
      r.tier = "base";
      r.pointsBalance = base::Points(0);
      return {200, protocol::encode(r)};
    }
    if (method == "POST" && uri == "/v1/price") {
      auto req = protocol::decodePriceRequest(body);
      if (!req) {
        ++badRequests;
        return problem(req.error().code, req.error().message);
      }
      prices[req->key.txn] = req.value();
      protocol::PriceResponse r;
      r.subtotal = basketTotal(req->lines);
      r.total = r.subtotal;
      r.pointsPreview = base::Points(r.total.value() / 100);
      return {200, protocol::encode(r)};
    }
    if (method == "POST" && uri == "/v1/commit") {
      auto req = protocol::decodeCommitRequest(body);
      if (!req) {
        ++badRequests;
        return problem(req.error().code, req.error().message);
      }
      commits.push_back(req.value());
      const int64_t s = seq(req->key.txn);
      if (s == 3) {
        ++refused;
        return problem(ErrorCode::kIdempotencyConflict, "txn used with another basket");
      }
      protocol::CommitResponse r;
      r.total = basketTotal(req->lines);
      if (s % 2 == 0) {
        r.status = protocol::kStatusQueued;
        r.receipt = {"points will be added"};
        ++pending;
      } else {
        r.status = protocol::kStatusCommitted;
        r.saleId = static_cast<int64_t>(commits.size());
        r.pointsEarned = base::Points(r.total.value() / 100);
        r.pointsBalance = r.pointsEarned;
        pointsGiven += r.total.value() / 100;
      }
      return {200, protocol::encode(r)};
    }
    if (method == "GET" && uri == "/v1/agent/status") {
      protocol::AgentStatus st;
      st.outboxPending = pending;
      st.delivered = delivered;
      st.coreReachable = true;
      const int64_t n = std::min<int64_t>(pending, 2);
      pending -= n;
      delivered += n;
      return {200, protocol::encode(st)};
    }
    return problem(ErrorCode::kNotFound, method + " " + uri);
  }
};

TEST_CASE("loyalty-sim: drives an agent over HTTP and reports the day as JSON",
          "[tools][integration]") {
  TempDir dir;
  writeSmallTaFeng(dir);
  FakeAgent agent;
  FakeServer server([&agent](const std::string& m, const std::string& u, const std::string& b) {
    return agent.serve(m, u, b);
  });

  const ProcessResult r = runProcess(
      LOYALTY_SIM_EXE, {"--tafeng", dir.path(), "--agents", server.address(), "--lanes", "3",
                        "--shoppers", "4", "--visits-per-shopper", "2", "--run-id", "P1",
                        "--business-date", "2024-03-01", "--drain-timeout", "30", "--json"});
  INFO(r.err);
  REQUIRE(r.exit == 0);
  auto parsed = protocol::json::parse(r.out);
  REQUIRE(parsed.ok());
  const protocol::json::Value& j = parsed.value();

  std::lock_guard<std::mutex> lock(agent.mu);
  CHECK(agent.badRequests == 0);  // every request was valid protocol JSON
  // 4 shoppers x 2 baskets on 3 lanes: lanes 1 and 2 ring 3 visits (seq 1..3), lane 3 rings 2.
  CHECK(member(j, "shoppers").asInt() == 4);
  CHECK(member(j, "visits").asInt() == 8);
  CHECK(agent.identifies == 8);
  REQUIRE(agent.commits.size() == 8);
  CHECK(agent.terminals == std::set<std::string>{"T01", "T02", "T03"});
  CHECK(member(j, "committed").asInt() == 3);                               // seq 1 on each lane
  CHECK(member(j, "queued").asInt() == 3);                                  // seq 2 on each lane
  CHECK(member(member(j, "errors"), "idempotency_conflict").asInt() == 2);  // seq 3
  CHECK(member(j, "points_awarded").asInt() == agent.pointsGiven);
  CHECK(member(j, "drained").asBool());
  CHECK(member(j, "outbox_pending").asInt() == 0);
  CHECK(member(member(member(j, "latency_ms"), "commit"), "max").isDouble());

  std::set<std::string> txns;
  for (const protocol::CommitRequest& c : agent.commits) {
    INFO(c.key.txn);
    CHECK(txns.insert(c.key.txn).second);
    CHECK(c.key.txn.rfind("P1-", 0) == 0);
    CHECK(c.key.store == "S001");
    CHECK(c.key.businessDate == "2024-03-01");
    REQUIRE(agent.prices.count(c.key.txn) == 1);
    CHECK(agent.prices[c.key.txn].key == c.key);
    CHECK(agent.prices[c.key.txn].lines.size() == c.lines.size());
  }
}

TEST_CASE("loyalty-sim: the table summary and a target without an outbox", "[tools][integration]") {
  TempDir dir;
  writeSmallTaFeng(dir);
  // A core-like server: it commits everything and has no /v1/agent/status.
  std::mutex mu;
  int64_t commits = 0;
  FakeServer core([&](const std::string& m, const std::string& u, const std::string& b) {
    std::lock_guard<std::mutex> lock(mu);
    if (m == "POST" && u == "/v1/identify") {
      protocol::IdentifyResponse r;
      r.customerId = 5;
      r.tier = "base";
      r.pointsBalance = base::Points(1);
      return HttpAnswer{200, protocol::encode(r)};
    }
    if (m == "POST" && u == "/v1/price") {
      protocol::PriceResponse r;
      return HttpAnswer{200, protocol::encode(r)};
    }
    if (m == "POST" && u == "/v1/commit") {
      auto req = protocol::decodeCommitRequest(b);
      if (!req) {
        return problem(req.error().code, req.error().message);
      }
      ++commits;
      protocol::CommitResponse r;
      r.status = protocol::kStatusCommitted;
      r.saleId = commits;
      r.total = basketTotal(req->lines);
      r.pointsEarned = base::Points(1);
      r.pointsBalance = base::Points(commits);
      return HttpAnswer{200, protocol::encode(r)};
    }
    return problem(ErrorCode::kNotFound, u);
  });
  const ProcessResult r = runProcess(
      LOYALTY_SIM_EXE, {"--tafeng", dir.path(), "--agents", core.address(), "--lanes", "2",
                        "--shoppers", "100", "--visits-per-shopper", "1", "--pace", "1000"});
  INFO(r.err);
  REQUIRE(r.exit == 0);
  CHECK(commits == 6);  // all six shoppers (100 asked), one visit each
  CHECK(r.err.find("only 6 shoppers") != std::string::npos);
  for (const char* want :
       {"sales committed", "points awarded", "outbox after the day: drained", "not an agent"}) {
    INFO(want << "\n" << r.out);
    CHECK(r.out.find(want) != std::string::npos);
  }
}

TEST_CASE("loyalty-sim: exit codes for help, bad usage, no data and no agent",
          "[tools][integration]") {
  TempDir dir;
  writeSmallTaFeng(dir);
  const ProcessResult help = runProcess(LOYALTY_SIM_EXE, {"--help"});
  CHECK(help.exit == 0);
  CHECK(help.out.find("usage: loyalty-sim") != std::string::npos);

  const ProcessResult none = runProcess(LOYALTY_SIM_EXE, {});
  CHECK(none.exit == 2);
  CHECK(none.err.find("--tafeng") != std::string::npos);

  const ProcessResult badLanes =
      runProcess(LOYALTY_SIM_EXE, {"--tafeng", dir.path(), "--agents", "h:1", "--lanes", "0"});
  CHECK(badLanes.exit == 2);

  const ProcessResult noData =
      runProcess(LOYALTY_SIM_EXE, {"--tafeng", dir.file("missing"), "--agents", deadAddress()});
  CHECK(noData.exit == 1);
  CHECK(noData.err.find(kTaFengHistoryFile) != std::string::npos);

  const std::string dead = deadAddress();
  const ProcessResult noAgent =
      runProcess(LOYALTY_SIM_EXE, {"--tafeng", dir.path(), "--agents", dead});
  CHECK(noAgent.exit == 1);
  CHECK(noAgent.err.find("cannot reach " + dead) != std::string::npos);
  CHECK(noAgent.out.empty());
}

TEST_CASE("loyalty-sim: --write-catalogue writes every item of the data", "[tools][integration]") {
  TempDir dir;
  writeSmallTaFeng(dir);
  const std::string csv = dir.file("catalogue.csv");
  const ProcessResult r =
      runProcess(LOYALTY_SIM_EXE, {"--tafeng", dir.path(), "--write-catalogue", csv});
  INFO(r.err);
  REQUIRE(r.exit == 0);
  std::ifstream in(csv, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == catalogueCsv({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
}

// ---- loyaltyctl against a fake core ----------------------------------------------------------

TEST_CASE("loyaltyctl: talks to the core over HTTP", "[tools][integration]") {
  const std::string known = cardOf(16);
  std::mutex mu;
  std::vector<std::string> imports;
  std::vector<std::string> uris;
  FakeServer core([&](const std::string& m, const std::string& u, const std::string& b) {
    std::lock_guard<std::mutex> lock(mu);
    uris.push_back(m + " " + u);
    if (m == "GET" && u == "/v1/customers/" + known + "/history") {
      protocol::CustomerHistory h;
      h.customerId = 17;
      h.tier = "base";
      h.pointsBalance = base::Points(12);
      return HttpAnswer{200, protocol::encode(h)};
    }
    if (m == "GET" && u.rfind("/v1/customers/", 0) == 0) {
      return problem(ErrorCode::kUnknownCustomer, "no customer with this card");
    }
    if (m == "PUT" && u == "/v1/admin/catalogue") {
      imports.push_back(b);
      protocol::CatalogueImportResponse r;
      r.imported = static_cast<int64_t>(std::count(b.begin(), b.end(), '\n')) - 1;
      return HttpAnswer{200, protocol::encode(r)};
    }
    return problem(ErrorCode::kNotFound, u);
  });

  const ProcessResult show =
      runProcess(LOYALTYCTL_EXE, {"--core", core.address(), "customer", "show", known});
  INFO(show.err);
  CHECK(show.exit == 0);
  CHECK(show.out.find("balance   12 points") != std::string::npos);

  // The address from the environment; the core's error is printed with its code.
  const ProcessResult unknown = runProcess(LOYALTYCTL_EXE, {"customer", "show", cardOf(99)},
                                           {{"LOYALTY_CORE", core.address()}});
  CHECK(unknown.exit == 1);
  CHECK(unknown.err == "loyaltyctl: unknown_customer: no customer with this card\n");

  TempDir dir;
  const std::string csv = catalogueCsv({1, 2, 3});
  dir.write("cat.csv", csv);
  const std::string token(64, 'e');
  const ProcessResult import = runProcess(
      LOYALTYCTL_EXE, {"--core", core.address(), "catalogue", "import", dir.file("cat.csv")},
      {{"LOYALTY_TOKEN", token}});
  INFO(import.err);
  CHECK(import.exit == 0);
  CHECK(import.out == "imported 3 products\n");
  {
    std::lock_guard<std::mutex> lock(mu);
    CHECK(imports == std::vector<std::string>{csv});
  }

  const ProcessResult down =
      runProcess(LOYALTYCTL_EXE, {"--core", deadAddress(), "customer", "show", known});
  CHECK(down.exit == 1);
  CHECK(down.err.rfind("loyaltyctl: unavailable: ", 0) == 0);

  const ProcessResult usage = runProcess(LOYALTYCTL_EXE, {"--core", core.address(), "nope"});
  CHECK(usage.exit == 2);
  const ProcessResult noToken = runProcess(
      LOYALTYCTL_EXE, {"--core", core.address(), "catalogue", "import", dir.file("cat.csv")});
  CHECK(noToken.exit == 1);
  CHECK(noToken.err.rfind("loyaltyctl: unauthorized: ", 0) == 0);
  // The token goes to the admin endpoint only as a bearer token.
  CHECK(core.authorizations() == std::vector<std::string>{"", "", "Bearer " + token});
  std::lock_guard<std::mutex> lock(mu);
  CHECK(uris.size() == 3);  // show, unknown, import: nothing for refused or bad usage
}

}  // namespace
}  // namespace loyalty::tools
