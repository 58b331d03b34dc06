// The domain (rules, ledger, checkout, personalization, and every folder below domain/) includes
// no HTTP, SQL, socket, POCO or I/O headers (style.md, "Dependency rule"), so it is testable on
// its own and the core and the tools run the same code. loyalty/offers (protocol/) is the
// standard-library-only coupon reward function, shared with the pos-agent.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

TEST_CASE("Architecture: the domain includes only std, loyalty/base, loyalty/offers and domain",
          "[domain]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(LOYALTY_SOURCE_DIR) / "loyalty-core" / "src" / "domain";
  REQUIRE(fs::is_directory(dir));
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".h" && ext != ".cpp") {
      continue;
    }
    ++files;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("#include", 0) != 0) {
        continue;
      }
      INFO(entry.path().lexically_relative(dir).string() << ": " << line);
      if (line.find('"') != std::string::npos) {
        // loyalty/offers is the standard-library-only reward function the pos-agent shares.
        const bool allowed = line.find("\"domain/") != std::string::npos ||
                             line.find("\"loyalty/base/") != std::string::npos ||
                             line.find("\"loyalty/offers/") != std::string::npos;
        CHECK(allowed);
      } else {
        // Angle includes: the standard library only (no '/' or '.h': Poco/..., sqlite3.h, ...),
        // and no streams or files.
        CHECK(line.find('/') == std::string::npos);
        CHECK(line.find(".h>") == std::string::npos);
        CHECK(line.find("fstream") == std::string::npos);
        CHECK(line.find("iostream") == std::string::npos);
      }
    }
  }
  CHECK(files >= 16);
}
