// loyalty-sim: drives pos-agents (or the loyalty-core) with a simulated store day built from the
// TaFeng baskets, then prints a summary. See simUsage() (sim_options.cpp) and simulator.h.
//
// Exit status: 0 the day ran (errors are reported, not fatal), 1 cannot start (no data, an agent
// unreachable, the catalogue cannot be written), 2 bad usage.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/synthetic_catalogue.h"
#include "common/tafeng.h"
#include "loyalty-sim/sim_options.h"
#include "loyalty-sim/sim_report.h"
#include "loyalty-sim/simulator.h"
#include "loyalty/agent/client.h"
#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/errors.h"

namespace loyalty::tools {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitCannotStart = 1;
constexpr int kExitUsage = 2;

// A lane's connection to an agent: the POS client library.
class ClientTill final : public TillConnection {
 public:
  ClientTill(const Endpoint& endpoint, int timeoutMs)
      : client_(agent::ClientOptions{endpoint.host, endpoint.port, timeoutMs, {}}) {}

  base::Result<protocol::IdentifyResponse> identify(
      const protocol::IdentifyRequest& request) override {
    return client_.identify(request);
  }
  base::Result<protocol::PriceResponse> price(const protocol::PriceRequest& request) override {
    return client_.price(request);
  }
  base::Result<protocol::CommitResponse> commit(const protocol::CommitRequest& request) override {
    return client_.commit(request);
  }
  // The loyalty-core has no /v1/agent/status: whatever 404 or 405 it sends, with or without a
  // problem body, means "not an agent" (kNotFound) to the drain.
  base::Result<protocol::AgentStatus> agentStatus() override {
    auto answer = client_.send("GET", "/v1/agent/status", "");
    if (!answer) {
      return answer.error();
    }
    if (answer->status == 404 || answer->status == 405) {
      return base::makeError(base::ErrorCode::kNotFound, "no /v1/agent/status: not an agent");
    }
    if (answer->status < 200 || answer->status > 299) {
      auto problem = protocol::decodeErrorBody(answer->body);
      const auto code = problem ? protocol::codeFromName(problem->code) : std::nullopt;
      return base::makeError(code.value_or(base::ErrorCode::kInternal),
                             "agent status: HTTP " + std::to_string(answer->status));
    }
    auto status = protocol::decodeAgentStatus(answer->body);
    if (!status) {
      return base::makeError(base::ErrorCode::kInternal,
                             "agent status: not valid protocol JSON: " + status.error().message);
    }
    return status;
  }

 private:
  agent::Client client_;
};

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int writeCatalogue(const TaFengData& data, const std::string& file) {
  const std::vector<int64_t> items = data.itemIds();
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (out) {
    out << catalogueCsv(items);
    out.close();
  }
  if (!out) {
    std::cerr << "loyalty-sim: cannot write " << file << "\n";
    return kExitCannotStart;
  }
  std::cerr << "loyalty-sim: wrote " << items.size() << " products to " << file << "\n";
  return kExitOk;
}

int run(const std::vector<std::string>& args) {
  auto parsed = parseSimOptions(args, nowMs());
  if (!parsed) {
    std::cerr << "loyalty-sim: " << parsed.error().message << "\n"
              << "try 'loyalty-sim --help'\n";
    return kExitUsage;
  }
  const SimOptions& options = parsed.value();
  if (options.help) {
    std::cout << simUsage();
    return kExitOk;
  }

  const auto loadStart = std::chrono::steady_clock::now();
  auto data = loadTaFeng(options.tafengDir);
  if (!data) {
    std::cerr << "loyalty-sim: cannot load the TaFeng data: " << data.error().message << "\n";
    return kExitCannotStart;
  }
  const double loadS =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - loadStart).count();
  std::fprintf(stderr, "loyalty-sim: loaded %zu shoppers, %zu baskets in %.2f s\n",
               data->shoppers.size(), data->basketCount(), loadS);

  if (!options.writeCatalogue.empty()) {
    return writeCatalogue(data.value(), options.writeCatalogue);
  }

  const TillFactory factory = [timeoutMs = options.timeoutMs](const Endpoint& e) {
    return std::make_unique<ClientTill>(e, timeoutMs);
  };
  if (auto reachable = checkReachable(options.agents, factory); !reachable) {
    std::cerr << "loyalty-sim: " << reachable.error().message << "\n";
    return kExitCannotStart;
  }

  size_t shoppers = static_cast<size_t>(options.shoppers);
  if (shoppers > data->shoppers.size()) {
    std::fprintf(stderr, "loyalty-sim: only %zu shoppers in the data; all of them visit\n",
                 data->shoppers.size());
    shoppers = data->shoppers.size();
  }
  const std::vector<size_t> chosen = chooseShoppers(data->shoppers.size(), shoppers, options.seed);
  std::vector<Visit> visits = planVisits(data.value(), chosen, options.visitsPerShopper);

  DayConfig config;
  config.agents = options.agents;
  config.lanes = options.lanes;
  config.store = options.store;
  config.businessDate = options.businessDate;
  config.runId = options.runId;
  config.pace = options.pace;
  std::fprintf(stderr,
               "loyalty-sim: %zu visits of %zu shoppers over %d lanes, %zu agent(s), store %s, "
               "business date %s, run id %s\n",
               visits.size(), shoppers, config.lanes, config.agents.size(), config.store.c_str(),
               config.businessDate.c_str(), config.runId.c_str());

  StoreDay day(data.value(), std::move(visits), static_cast<int64_t>(shoppers), config, factory);
  const DaySummary summary = day.run([](int64_t done, int64_t total, double elapsedS) {
    std::fprintf(stderr, "loyalty-sim: %lld/%lld visits, %.1f visits/s\n",
                 static_cast<long long>(done), static_cast<long long>(total),
                 elapsedS > 0 ? static_cast<double>(done) / elapsedS : 0.0);
  });
  std::fprintf(stderr,
               "loyalty-sim: day done: %lld visits in %.2f s; draining outboxes (up to %d s)\n",
               static_cast<long long>(summary.visits), summary.wallS, options.drainTimeoutS);

  const DrainResult drain =
      drainAgents(options.agents, factory, std::chrono::seconds(options.drainTimeoutS),
                  std::chrono::milliseconds(250), [](int64_t pending, double elapsedS) {
                    std::fprintf(stderr, "loyalty-sim: draining: %lld pending after %.0f s\n",
                                 static_cast<long long>(pending), elapsedS);
                  });

  std::cout << (options.json ? formatSummaryJson(summary, drain) + "\n"
                             : formatSummaryTable(summary, drain));
  return kExitOk;
}

}  // namespace
}  // namespace loyalty::tools

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return loyalty::tools::run(args);
  } catch (const std::exception& e) {
    std::cerr << "loyalty-sim: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "loyalty-sim: internal error\n";
  }
  return 1;
}
