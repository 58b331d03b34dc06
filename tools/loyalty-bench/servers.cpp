#include "loyalty-bench/servers.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "loyalty-ca/ca.h"
#include "loyalty/agent/client.h"
#include "loyalty/protocol/json.h"

namespace loyalty::tools {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kStartDeadline = std::chrono::seconds(15);
constexpr auto kStopDeadline = std::chrono::seconds(5);
constexpr auto kPollInterval = std::chrono::milliseconds(10);

std::string logging(const std::string& logFile) {
  return "logging.loggers.root.channel = file\n"
         "logging.loggers.root.level = information\n"
         "logging.channels.file.class = FileChannel\n"
         "logging.channels.file.path = " +
         logFile +
         "\n"
         "logging.channels.file.formatter.class = PatternFormatter\n"
         "logging.channels.file.formatter.pattern = %Y-%m-%d %H:%M:%S.%i [%p] %s: %t\n";
}

// 32 hex characters from the OS's random source.
std::string randomPassword() {
  std::random_device random;
  std::string out;
  for (int i = 0; i < 4; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(random()));
    out += buf;
  }
  return out;
}

bool writeText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

// The port in the file, 0 while it is missing or incomplete.
uint16_t readPortFile(const std::string& path) {
  std::ifstream in(path);
  long port = 0;
  if (in >> port && port > 0 && port <= 65535) {
    return static_cast<uint16_t>(port);
  }
  return 0;
}

}  // namespace

std::string ownExecutableDir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    return ".";
  }
  return exe.parent_path().string();
}

base::Result<std::unique_ptr<SpawnedServers>> SpawnedServers::create() {
  std::error_code ec;
  std::string base = std::filesystem::temp_directory_path(ec).string();
  if (ec) {
    base = "/tmp";
  }
  std::string pattern = base + "/loyalty-bench-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return base::makeError(base::ErrorCode::kInternal, "cannot create a folder in " + base);
  }
  std::unique_ptr<SpawnedServers> s(new SpawnedServers());
  s->dir_ = pattern;
  return s;
}

SpawnedServers::~SpawnedServers() {
  stopAll();
  if (!dir_.empty() && std::getenv("LOYALTY_BENCH_KEEP") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

void SpawnedServers::stopAll() {
  for (pid_t pid : children_) {
    ::kill(pid, SIGTERM);
  }
  const auto deadline = Clock::now() + kStopDeadline;
  for (pid_t pid : children_) {
    for (;;) {
      int status = 0;
      pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == pid || r < 0) {
        break;
      }
      if (Clock::now() >= deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(kPollInterval);
    }
  }
  children_.clear();
  corePid_ = 0;
}

base::Result<Endpoint> SpawnedServers::launch(const std::string& binary, const std::string& name,
                                              const std::string& config) {
  if (::access(binary.c_str(), X_OK) != 0) {
    return base::makeError(base::ErrorCode::kUnavailable,
                           binary + " not found (it must sit beside loyalty-bench)");
  }
  const std::string portFile = dir_ + "/" + name + ".port";
  const std::string outFile = dir_ + "/" + name + ".out";
  const std::string configArg = "--config=" + config;
  pid_t pid = ::fork();
  if (pid < 0) {
    return base::makeError(base::ErrorCode::kInternal, "fork failed");
  }
  if (pid == 0) {
    int fd = ::open(outFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    if (::chdir(dir_.c_str()) != 0) {
      ::_exit(127);
    }
    char* argv[] = {const_cast<char*>(binary.c_str()), const_cast<char*>(configArg.c_str()),
                    nullptr};
    ::execv(binary.c_str(), argv);
    ::_exit(127);
  }
  children_.push_back(pid);
  const auto deadline = Clock::now() + kStartDeadline;
  while (Clock::now() < deadline) {
    if (uint16_t port = readPortFile(portFile); port != 0) {
      return Endpoint{"127.0.0.1", port};
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      children_.pop_back();
      return base::makeError(base::ErrorCode::kUnavailable, name + " exited at start; see " + dir_ +
                                                                "/" + name + ".log and " + outFile);
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return base::makeError(base::ErrorCode::kUnavailable,
                         name + " wrote no port file in time; see " + dir_ + "/" + name + ".log");
}

base::Status SpawnedServers::makeTlsFiles() {
  if (tls_) {
    return base::okStatus();
  }
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const std::string caDir = dir_ + "/tls-ca";
  const std::string outDir = dir_ + "/tls";
  auto ca = ca::initCa(caDir, "loyalty-bench CA", now);
  if (!ca) {
    return ca.error();
  }
  ca::IssueRequest server;
  server.kind = ca::CertKind::kServer;
  server.host = "127.0.0.1";
  auto serverCert = ca::issue(caDir, server, outDir, now);
  if (!serverCert) {
    return serverCert.error();
  }
  ca::IssueRequest terminal;
  terminal.kind = ca::CertKind::kTerminal;
  terminal.store = "BENCH";
  terminal.terminal = "T001";
  auto terminalCert = ca::issue(caDir, terminal, outDir, now);
  if (!terminalCert) {
    return terminalCert.error();
  }
  tls_ = BenchTlsFiles{ca->certPath,          ca->crlPath,
                       serverCert->certPath,  serverCert->keyPath,
                       terminalCert->certPath, terminalCert->keyPath};
  return base::okStatus();
}

base::Result<Endpoint> SpawnedServers::startCore(int coreThreads,
                                                 const std::string& databasePath, bool tls) {
  const std::string config = dir_ + "/core.properties";
  std::string text =
      "loyalty.core.http.host = 127.0.0.1\n"
      "loyalty.core.http.port = 0\n"
      "loyalty.core.http.portFile = core.port\n"
      "loyalty.core.storage.path = " +
      (databasePath.empty() ? std::string("core.db") : databasePath) + "\n";
  if (coreThreads > 0) {
    text += "loyalty.core.http.threads = " + std::to_string(coreThreads) + "\n";
  }
  if (tls) {
    if (auto made = makeTlsFiles(); !made.ok()) {
      return base::makeError(base::ErrorCode::kInternal,
                             "cannot make the TLS certificates: " + made.error().message);
    }
    text += "loyalty.core.tls.certificate = " + tls_->serverCertificate + "\n" +
            "loyalty.core.tls.privateKey = " + tls_->serverKey + "\n" +
            "loyalty.core.tls.caCertificate = " + tls_->caCertificate + "\n" +
            "loyalty.core.tls.crl = " + tls_->crl + "\n";
  }
  text += coreProperties_;
  // An HQ admin for the catalogue import, with a random password readable by us alone.
  adminPassword_ = randomPassword();
  const std::string passwordFile = dir_ + "/admin.password";
  if (!writeText(passwordFile, adminPassword_ + "\n") || ::chmod(passwordFile.c_str(), 0600) != 0) {
    return base::makeError(base::ErrorCode::kInternal, "cannot write " + passwordFile);
  }
  text += std::string("loyalty.core.admin.bootstrapUser = ") + kBenchAdminUser + "\n" +
          "loyalty.core.admin.bootstrapPasswordFile = admin.password\n" +
          "loyalty.core.admin.passwordIterations = 1000\n";
  if (!writeText(config, text + logging(dir_ + "/core.log"))) {
    return base::makeError(base::ErrorCode::kInternal, "cannot write " + config);
  }
  auto started = launch(ownExecutableDir() + "/loyalty-core", "core", config);
  if (started.ok()) {
    corePid_ = children_.back();
  }
  return started;
}

void SpawnedServers::addCoreProperty(const std::string& key, const std::string& value) {
  coreProperties_ += key + " = " + value + "\n";
}

void SpawnedServers::addAgentProperty(const std::string& key, const std::string& value) {
  agentProperties_ += key + " = " + value + "\n";
}

base::Result<Endpoint> SpawnedServers::startAgent(const Endpoint& core, int index, int budgetMs) {
  const std::string name = "agent" + std::to_string(index);
  const std::string config = dir_ + "/" + name + ".properties";
  const std::string text =
      "loyalty.agent.http.host = 127.0.0.1\n"
      "loyalty.agent.http.port = 0\n"
      "loyalty.agent.http.portFile = " +
      name +
      ".port\n"
      "loyalty.agent.core.host = " +
      core.host +
      "\n"
      "loyalty.agent.core.port = " +
      std::to_string(core.port) +
      "\n"
      "loyalty.agent.core.budgetMs = " +
      std::to_string(budgetMs) +
      "\n"
      "loyalty.agent.outbox.path = " +
      name + ".db\n" +
      (tls_ ? "loyalty.agent.core.tls.caCertificate = " + tls_->caCertificate + "\n" +
                  "loyalty.agent.core.tls.certificate = " + tls_->terminalCertificate + "\n" +
                  "loyalty.agent.core.tls.privateKey = " + tls_->terminalKey + "\n"
            : std::string());
  if (!writeText(config, text + agentProperties_ + logging(dir_ + "/" + name + ".log"))) {
    return base::makeError(base::ErrorCode::kInternal, "cannot write " + config);
  }
  return launch(ownExecutableDir() + "/pos-agent", name, config);
}

base::Result<std::string> benchAdminToken(const Endpoint& core, const std::string& password,
                                          const std::shared_ptr<agent::ClientTls>& tls) {
  agent::ClientOptions options{core.host, core.port, 60000, {}};
  options.tls = tls;
  agent::Client client(options);
  protocol::json::Writer w;
  w.beginObject();
  w.key("user");
  w.value(std::string(kBenchAdminUser));
  w.key("password");
  w.value(password);
  w.endObject();
  auto answer = client.send("POST", "/v1/admin/login", w.str());
  if (!answer) {
    return answer.error();
  }
  auto parsed = protocol::json::parse(answer->body);
  const protocol::json::Value* token = parsed ? parsed->find("token") : nullptr;
  if (answer->status != 200 || token == nullptr || !token->isString()) {
    return base::makeError(base::ErrorCode::kUnauthorized,
                           "HTTP " + std::to_string(answer->status) + ": " + answer->body);
  }
  return token->asString();
}

}  // namespace loyalty::tools
