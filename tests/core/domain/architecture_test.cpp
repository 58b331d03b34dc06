// The domain includes no HTTP, SQL, socket or POCO headers (style.md, "Dependency rule").
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

TEST_CASE("Architecture: the domain includes only std, loyalty/base and domain headers",
          "[domain]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(LOYALTY_SOURCE_DIR) / "loyalty-core" / "src" / "domain";
  REQUIRE(fs::is_directory(dir));
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::ifstream in(entry.path());
    std::string line;
    ++files;
    while (std::getline(in, line)) {
      if (line.rfind("#include", 0) != 0) {
        continue;
      }
      INFO(entry.path().filename().string() << ": " << line);
      const bool quoted = line.find('"') != std::string::npos;
      if (quoted) {
        const bool allowed = line.find("\"domain/") != std::string::npos ||
                             line.find("\"loyalty/base/") != std::string::npos;
        CHECK(allowed);
      } else {
        // Angle includes: the standard library only (no '/' or '.h': Poco/..., sqlite3.h, ...).
        CHECK(line.find('/') == std::string::npos);
        CHECK(line.find(".h>") == std::string::npos);
      }
    }
  }
  CHECK(files >= 8);
}
