#include "util/clock.h"

namespace lockstep
{

Nanos monotonicNow()
{
    return wireNanos(MonotonicClock::now());
}

Nanos realtimeNow()
{
    return wireNanos(RealtimeClock::now());
}

void sleepUntil(clockid_t clock, Nanos t)
{
    if (clock == CLOCK_REALTIME)
        sleepUntil(realtimeFromWire(t));
    else
        sleepUntil(monotonicFromWire(t));
}

} // namespace lockstep
