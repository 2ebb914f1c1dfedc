#include "util/clock.h"

#include <cerrno>

namespace lockstep
{

timespec toTimespec(Nanos t)
{
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(t / kNanosPerSecond);
    ts.tv_nsec = static_cast<long>(t % kNanosPerSecond);
    if (ts.tv_nsec < 0) {
        ts.tv_sec -= 1;
        ts.tv_nsec += kNanosPerSecond;
    }
    return ts;
}

Nanos fromTimespec(const timespec &ts)
{
    return static_cast<Nanos>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec;
}

static Nanos now(clockid_t clock)
{
    timespec ts{};
    clock_gettime(clock, &ts);
    return fromTimespec(ts);
}

Nanos monotonicNow()
{
    return now(CLOCK_MONOTONIC);
}
Nanos realtimeNow()
{
    return now(CLOCK_REALTIME);
}

void sleepUntil(clockid_t clock, Nanos t)
{
    const timespec ts = toTimespec(t);
    while (clock_nanosleep(clock, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

} // namespace lockstep
