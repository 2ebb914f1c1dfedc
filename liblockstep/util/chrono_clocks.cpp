#include "util/chrono_clocks.h"

#include <cerrno>

namespace lockstep
{

namespace
{

constexpr int64_t kNanosPerSecond = 1'000'000'000;

Nanoseconds readClock(clockid_t clock) noexcept
{
    timespec ts{};
    clock_gettime(clock, &ts);
    return fromTimespec(ts);
}

void sleepUntil(clockid_t clock, Nanoseconds sinceEpoch)
{
    const timespec ts = toTimespec(sinceEpoch);
    while (clock_nanosleep(clock, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

} // namespace

MonotonicInstant MonotonicClock::now() noexcept
{
    return MonotonicInstant(readClock(id));
}

RealtimeInstant RealtimeClock::now() noexcept
{
    return RealtimeInstant(readClock(id));
}

timespec toTimespec(Nanoseconds d)
{
    const int64_t ns = d.count();
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(ns / kNanosPerSecond);
    ts.tv_nsec = static_cast<long>(ns % kNanosPerSecond);
    if (ts.tv_nsec < 0) {
        ts.tv_sec -= 1;
        ts.tv_nsec += kNanosPerSecond;
    }
    return ts;
}

Nanoseconds fromTimespec(const timespec &ts)
{
    return Nanoseconds(static_cast<int64_t>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec);
}

void sleepUntil(MonotonicInstant t)
{
    sleepUntil(MonotonicClock::id, t.time_since_epoch());
}

void sleepUntil(RealtimeInstant t)
{
    sleepUntil(RealtimeClock::id, t.time_since_epoch());
}

} // namespace lockstep
