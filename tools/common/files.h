// Reading whole files for the tools (data sets, catalogues). Thread safety: re-entrant.
#pragma once

#include <string>

#include "loyalty/base/result.h"

namespace loyalty::tools {

// The whole content of path. Errors: kNotFound when it cannot be opened or read.
base::Result<std::string> readWholeFile(const std::string& path);

}  // namespace loyalty::tools
