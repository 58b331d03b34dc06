#include "common/files.h"

#include <fstream>
#include <sstream>

namespace loyalty::tools {

base::Result<std::string> readWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return base::makeError(base::ErrorCode::kNotFound, "cannot open " + path);
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    return base::makeError(base::ErrorCode::kNotFound, "cannot read " + path);
  }
  return buffer.str();
}

}  // namespace loyalty::tools
