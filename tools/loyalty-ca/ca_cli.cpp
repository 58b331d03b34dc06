#include "loyalty-ca/ca_cli.h"

#include <map>
#include <optional>
#include <set>

#include "loyalty-ca/ca.h"

namespace loyalty::tools::ca {

const std::string_view kUsage =
    "usage:\n"
    "  loyalty-ca init --out DIR [--name NAME]\n"
    "      Create the chain's CA in DIR (created if missing): ca.key.pem (EC P-256, mode 0600;\n"
    "      keep it offline), ca.cert.pem (self-signed, 10 years; for the core and every agent),\n"
    "      ca.crl.pem (empty revocation list; for the core) and issued.txt. NAME is the CA's\n"
    "      common name (default \"Loyalty CA\").\n"
    "  loyalty-ca issue --ca DIR --kind server --name HOST --out DIR\n"
    "      A loyalty-core certificate (2 years) for HOST, a DNS name or an IP address, which the\n"
    "      agents check: DIR/server-HOST.key.pem (0600) and DIR/server-HOST.cert.pem.\n"
    "  loyalty-ca issue --ca DIR --kind terminal --store S --terminal T --out DIR\n"
    "      A till's client certificate (2 years, common name \"S/T\"):\n"
    "      DIR/terminal-S-T.key.pem (0600) and DIR/terminal-S-T.cert.pem.\n"
    "  loyalty-ca revoke --ca DIR --cert FILE\n"
    "  loyalty-ca revoke --ca DIR --serial HEX\n"
    "      Add the certificate to the CA's CRL and re-sign it; the core picks the new CRL up\n"
    "      within seconds. --serial is for a lost certificate file (serials: issued.txt).\n"
    "  loyalty-ca show FILE\n"
    "      Describe a certificate, CRL or private key.\n"
    "  loyalty-ca --help\n"
    "Existing keys and certificates are never overwritten.\n"
    "exit status: 0 ok, 1 failure, 2 usage error\n";

namespace {

constexpr const char* kDefaultCaName = "Loyalty CA";

int usageError(std::ostream& err, const std::string& message) {
  err << "loyalty-ca: " << message << "\n" << kUsage;
  return kExitUsage;
}

int failure(std::ostream& err, const base::Error& error) {
  err << "loyalty-ca: " << error.message << "\n";
  return kExitFailure;
}

// "--key value" pairs, each of the allowed keys at most once.
struct Flags {
  std::map<std::string, std::string> values;
  std::string error;

  std::optional<std::string> get(const std::string& key) const {
    auto it = values.find(key);
    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
};

Flags parseFlags(const std::vector<std::string>& args, const std::set<std::string>& allowed) {
  Flags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (allowed.count(arg) == 0) {
      flags.error = "unexpected argument '" + arg + "'";
      return flags;
    }
    if (i + 1 >= args.size() || args[i + 1].empty()) {
      flags.error = arg + " needs a value";
      return flags;
    }
    if (!flags.values.emplace(arg, args[i + 1]).second) {
      flags.error = arg + " given twice";
      return flags;
    }
    ++i;
  }
  return flags;
}

int init(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, int64_t now) {
  Flags flags = parseFlags(args, {"--out", "--name"});
  if (!flags.error.empty()) {
    return usageError(err, "init: " + flags.error);
  }
  if (!flags.get("--out")) {
    return usageError(err, "init needs --out DIR");
  }
  auto done = initCa(*flags.get("--out"), flags.get("--name").value_or(kDefaultCaName), now);
  if (!done.ok()) {
    return failure(err, done.error());
  }
  out << "wrote " << done->keyPath << " (CA private key, mode 0600: keep it offline)\n"
      << "wrote " << done->certPath << " (CA certificate: for the core and every agent)\n"
      << "wrote " << done->crlPath << " (revocation list, empty: for the core)\n"
      << "subject: " << done->subject << "\n"
      << "sha256 fingerprint: " << done->fingerprint << "\n";
  return kExitOk;
}

int issueCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                 int64_t now) {
  Flags flags = parseFlags(args, {"--ca", "--kind", "--name", "--store", "--terminal", "--out"});
  if (!flags.error.empty()) {
    return usageError(err, "issue: " + flags.error);
  }
  if (!flags.get("--ca") || !flags.get("--kind") || !flags.get("--out")) {
    return usageError(err, "issue needs --ca DIR, --kind server|terminal and --out DIR");
  }
  IssueRequest request;
  const std::string kind = *flags.get("--kind");
  if (kind == "server") {
    request.kind = CertKind::kServer;
    if (!flags.get("--name") || flags.get("--store") || flags.get("--terminal")) {
      return usageError(err, "issue --kind server needs --name HOST (and no --store/--terminal)");
    }
    request.host = *flags.get("--name");
  } else if (kind == "terminal") {
    request.kind = CertKind::kTerminal;
    if (!flags.get("--store") || !flags.get("--terminal") || flags.get("--name")) {
      return usageError(err, "issue --kind terminal needs --store S and --terminal T (no --name)");
    }
    request.store = *flags.get("--store");
    request.terminal = *flags.get("--terminal");
  } else {
    return usageError(err, "--kind must be server or terminal, not '" + kind + "'");
  }
  auto done = issue(*flags.get("--ca"), request, *flags.get("--out"), now);
  if (!done.ok()) {
    return failure(err, done.error());
  }
  const bool server = request.kind == CertKind::kServer;
  out << "wrote " << done->keyPath << " (private key, mode 0600: for "
      << (server ? "the loyalty-core" : "this till's pos-agent") << " only)\n"
      << "wrote " << done->certPath << " (certificate)\n"
      << "subject: " << done->subject << "\n"
      << "serial: " << done->serial << "\n";
  if (done->clampedToCa) {
    err << "loyalty-ca: warning: the certificate expires with the CA; plan a new CA\n";
  }
  return kExitOk;
}

int revoke(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           int64_t now) {
  Flags flags = parseFlags(args, {"--ca", "--cert", "--serial"});
  if (!flags.error.empty()) {
    return usageError(err, "revoke: " + flags.error);
  }
  if (!flags.get("--ca") || flags.get("--cert").has_value() == flags.get("--serial").has_value()) {
    return usageError(err, "revoke needs --ca DIR and one of --cert FILE or --serial HEX");
  }
  auto done = flags.get("--cert") ? revokeCertificate(*flags.get("--ca"), *flags.get("--cert"), now)
                                  : revokeSerial(*flags.get("--ca"), *flags.get("--serial"), now);
  if (!done.ok()) {
    return failure(err, done.error());
  }
  const std::string who =
      done->serial + (done->subject.empty() ? std::string() : " (" + done->subject + ")");
  if (done->alreadyRevoked) {
    out << who << " was already revoked; " << done->crlPath << " is unchanged\n";
  } else {
    out << "revoked " << who << "\n"
        << "wrote " << done->crlPath << " (CRL number " << done->crlNumber << ", "
        << done->revokedCount << " revoked): copy it to the loyalty-core's tls.crl file\n";
  }
  return kExitOk;
}

int show(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, int64_t now) {
  if (args.size() != 1) {
    return usageError(err, "show needs exactly one FILE");
  }
  auto description = describeFile(args[0], now);
  if (!description.ok()) {
    return failure(err, description.error());
  }
  out << description->text;
  if (description->looseKeyPermissions) {
    err << "loyalty-ca: warning: " << args[0] << " is readable by group or others; chmod 600 it\n";
  }
  return kExitOk;
}

}  // namespace

int runCli(const std::vector<std::string>& argsIn, std::ostream& out, std::ostream& err,
           int64_t now) {
  std::vector<std::string> args = argsIn;
  if (args.empty()) {
    return usageError(err, "a command is needed");
  }
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      out << kUsage;
      return kExitOk;
    }
  }
  const std::string command = args.front();
  args.erase(args.begin());
  if (command == "init") {
    return init(args, out, err, now);
  }
  if (command == "issue") {
    return issueCommand(args, out, err, now);
  }
  if (command == "revoke") {
    return revoke(args, out, err, now);
  }
  if (command == "show") {
    return show(args, out, err, now);
  }
  return usageError(err, "unknown command '" + command + "'");
}

}  // namespace loyalty::tools::ca
