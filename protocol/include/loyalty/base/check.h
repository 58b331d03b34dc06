// LOYALTY_CHECK(cond, what): stops the process when an invariant of stored state is broken and
// continuing could corrupt data (style.md, "Errors"). Not for input validation: input errors are
// Results. Active in every build type, unlike assert().
#pragma once

#include <cstdio>
#include <cstdlib>

#define LOYALTY_CHECK(cond, what)                                                              \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "LOYALTY_CHECK failed at %s:%d: %s (%s)\n", __FILE__, __LINE__,     \
                   #cond, what);                                                               \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)
