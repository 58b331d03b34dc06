// Tests of the TaFeng reader (tools/common/tafeng.h): small documents written by the test, and,
// tagged [data], the real files of the shared data folder when they are present.
#include "common/tafeng.h"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace loyalty::tools {
namespace {

namespace fs = std::filesystem;
using base::ErrorCode;

// A fresh directory under the system temp dir, removed with its contents at scope exit.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() / ("loyalty-tafeng-test-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(counter.fetch_add(1)));
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
  void write(const std::string& name, const std::string& text) const {
    std::ofstream out(path_ / name, std::ios::binary);
    out << text;
  }

 private:
  fs::path path_;
};

const char* const kHistory =
    R"({"10": [[-1], [5, 3, 9], [3], [-1]], "2": [[-1], [1, 2], [2, 1, 7], [4], [-1]]})";
const char* const kFuture = R"({"2": [[-1], [8, 1], [-1]], "10": [[-1], [3, 5], [-1]]})";

TEST_CASE("TaFeng: strips the sentinels, keeps basket order, sorts shoppers", "[tools]") {
  TempDir dir;
  dir.write(kTaFengHistoryFile, kHistory);
  dir.write(kTaFengFutureFile, kFuture);

  auto data = loadTaFeng(dir.path());
  REQUIRE(data.ok());
  REQUIRE(data->shoppers.size() == 2);

  const Shopper& first = data->shoppers[0];
  CHECK(first.userId == 2);
  REQUIRE(first.baskets.size() == 4);
  CHECK(first.baskets[0] == std::vector<int64_t>{1, 2});
  CHECK(first.baskets[1] == std::vector<int64_t>{2, 1, 7});
  CHECK(first.baskets[2] == std::vector<int64_t>{4});
  CHECK(first.baskets[3] == std::vector<int64_t>{8, 1});  // the future basket comes last

  const Shopper& second = data->shoppers[1];
  CHECK(second.userId == 10);
  REQUIRE(second.baskets.size() == 3);
  CHECK(second.baskets[0] == std::vector<int64_t>{5, 3, 9});
  CHECK(second.baskets[2] == std::vector<int64_t>{3, 5});

  CHECK(data->basketCount() == 7);
  CHECK(data->itemIds() == std::vector<int64_t>{1, 2, 3, 4, 5, 7, 8, 9});
}

TEST_CASE("TaFeng: a user present in only one of the files is kept", "[tools]") {
  auto data = parseTaFeng(R"({"1": [[-1], [4], [-1]]})", R"({"3": [[-1], [6, 6], [-1]]})");
  REQUIRE(data.ok());
  REQUIRE(data->shoppers.size() == 2);
  CHECK(data->shoppers[0].userId == 1);
  CHECK(data->shoppers[0].baskets == std::vector<std::vector<int64_t>>{{4}});
  CHECK(data->shoppers[1].userId == 3);
  CHECK(data->shoppers[1].baskets == std::vector<std::vector<int64_t>>{{6, 6}});
}

TEST_CASE("TaFeng: documents of the wrong shape are refused", "[tools]") {
  struct Case {
    const char* what;
    const char* history;
    const char* future;
    ErrorCode code;
  };
  const char* const okFuture = R"({"1": [[-1], [1], [-1]]})";
  const Case cases[] = {
      {"top level is an array", "[[[-1], [1], [-1]]]", okFuture, ErrorCode::kInvalidValue},
      {"no opening sentinel", R"({"1": [[1], [-1]]})", okFuture, ErrorCode::kInvalidValue},
      {"no closing sentinel", R"({"1": [[-1], [1]]})", okFuture, ErrorCode::kInvalidValue},
      {"sentinel is not [-1]", R"({"1": [[-2], [1], [-1]]})", okFuture, ErrorCode::kInvalidValue},
      {"list is not an array", R"({"1": 5})", okFuture, ErrorCode::kInvalidValue},
      {"basket is not an array", R"({"1": [[-1], 3, [-1]]})", okFuture, ErrorCode::kInvalidValue},
      {"empty basket", R"({"1": [[-1], [], [-1]]})", okFuture, ErrorCode::kInvalidValue},
      {"negative item", R"({"1": [[-1], [1, -1], [-1]]})", okFuture, ErrorCode::kInvalidValue},
      {"string item", R"({"1": [[-1], ["1"], [-1]]})", okFuture, ErrorCode::kInvalidValue},
      {"fractional item", R"({"1": [[-1], [1.5], [-1]]})", okFuture, ErrorCode::kInvalidValue},
      {"user key not a number", R"({"u1": [[-1], [1], [-1]]})", okFuture, ErrorCode::kInvalidValue},
      {"same user twice", R"({"7": [[-1], [1], [-1]], "07": [[-1], [2], [-1]]})", okFuture,
       ErrorCode::kInvalidValue},
      {"user without any basket", R"({"5": [[-1], [-1]]})", okFuture, ErrorCode::kInvalidValue},
      {"two future baskets", R"({"1": [[-1], [1], [-1]]})", R"({"1": [[-1], [1], [2], [-1]]})",
       ErrorCode::kInvalidValue},
      {"no future basket", R"({"1": [[-1], [1], [-1]]})", R"({"1": [[-1], [-1]]})",
       ErrorCode::kInvalidValue},
      {"not JSON", R"({"1": [[-1], [1], [-1]])", okFuture, ErrorCode::kMalformedJson},
      {"item is an array", R"({"1": [[-1], [[1]], [-1]]})", okFuture, ErrorCode::kInvalidValue},
      {"nested deeper than 4", R"({"1": [[-1], [[[1]]], [-1]]})", okFuture,
       ErrorCode::kNestingTooDeep},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    auto data = parseTaFeng(c.history, c.future, "h.json", "f.json");
    REQUIRE_FALSE(data.ok());
    CHECK(data.error().code == c.code);
    // The message names the file it is about.
    const bool namesFile = data.error().message.find("h.json") != std::string::npos ||
                           data.error().message.find("f.json") != std::string::npos;
    CHECK(namesFile);
  }
}

TEST_CASE("TaFeng: a missing file is not_found and names the file", "[tools]") {
  TempDir dir;
  dir.write(kTaFengHistoryFile, kHistory);
  auto data = loadTaFeng(dir.path());
  REQUIRE_FALSE(data.ok());
  CHECK(data.error().code == ErrorCode::kNotFound);
  CHECK(data.error().message.find(kTaFengFutureFile) != std::string::npos);

  auto none = loadTaFeng(dir.path() + "/no-such-folder");
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code == ErrorCode::kNotFound);
}

// The shared data folder: $LOYALTY_TAFENG_DIR, else the one beside the project.
std::string realDataDir() {
  if (const char* env = std::getenv("LOYALTY_TAFENG_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
#ifdef LOYALTY_SHARED_DATA_DIR
  return std::string(LOYALTY_SHARED_DATA_DIR) + "/tafeng";
#else
  return "";
#endif
}

TEST_CASE("TaFeng: the real files load whole", "[tools][data]") {
  const std::string dir = realDataDir();
  if (dir.empty() || !fs::exists(fs::path(dir) / kTaFengHistoryFile) ||
      !fs::exists(fs::path(dir) / kTaFengFutureFile)) {
    WARN("TaFeng files not found (set LOYALTY_TAFENG_DIR); skipped");
    return;
  }
  auto data = loadTaFeng(dir);
  REQUIRE(data.ok());
  // The figures of the data README.
  CHECK(data->shoppers.size() == 13'858);
  CHECK(data->basketCount() == 91'227);
  CHECK(data->itemIds().size() == 11'997);
  size_t rows = 0;
  size_t fewest = SIZE_MAX;
  for (const Shopper& s : data->shoppers) {
    fewest = std::min(fewest, s.baskets.size());
    for (const auto& b : s.baskets) {
      rows += b.size();
    }
  }
  CHECK(rows == 571'933);
  CHECK(fewest >= 3);  // customers with 3 to 50 baskets
  // User 1 opens both files: first history basket [0, 1, 2], future basket [1144, 3374, 40, 44].
  REQUIRE(data->shoppers.front().userId == 1);
  CHECK(data->shoppers.front().baskets.front() == std::vector<int64_t>{0, 1, 2});
  CHECK(data->shoppers.front().baskets.back() == std::vector<int64_t>{1144, 3374, 40, 44});
}

}  // namespace
}  // namespace loyalty::tools
