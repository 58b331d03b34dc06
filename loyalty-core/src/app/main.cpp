// loyalty-core: see app/core_app.h and docs/operations.md.
#include <iostream>  // POCO_SERVER_MAIN uses std::cerr in release builds

#include "app/core_app.h"

POCO_SERVER_MAIN(loyalty::core::app::LoyaltyCoreApp)
