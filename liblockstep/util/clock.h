/* Integer nanoseconds, for the code not yet typed by util/chrono_clocks.h (which says which clock
 * an instant is on, and a duration's unit). New code uses chrono_clocks.h; this goes when its last
 * user does. */
#pragma once

#include <cstdint>
#include <ctime>

#include "util/chrono_clocks.h"

namespace lockstep
{

using Nanos = int64_t;

constexpr Nanos kNanosPerSecond = 1'000'000'000;

/* MonotonicClock::now() and RealtimeClock::now() as integer nanoseconds since their epochs. */
Nanos monotonicNow();
Nanos realtimeNow();

/* sleepUntil() of chrono_clocks.h for an integer instant of the given clock. */
void sleepUntil(clockid_t clock, Nanos t);

} // namespace lockstep
