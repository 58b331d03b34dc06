// loyalty-core: see app/core_app.h and docs/operations.md.
#include "app/core_app.h"

POCO_SERVER_MAIN(loyalty::core::app::LoyaltyCoreApp)
