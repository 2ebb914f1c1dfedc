/* Which libgpiod C++ API this build uses: 2.x (line_request) or 1.6 (line_bulk). CMake defines
 * LOCKSTEP_GPIOD_V2 from the pkg-config version; the header check covers builds without it. */
#pragma once

#include <gpiod.hpp>

#if defined(LOCKSTEP_GPIOD_V2) || __has_include(<gpiodcxx/line-request.hpp>)
#define LOCKSTEP_GPIOD_API 2
#else
#define LOCKSTEP_GPIOD_API 1
#endif
