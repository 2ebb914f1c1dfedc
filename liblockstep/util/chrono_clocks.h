/* lockstep's two clocks as std::chrono clocks: an instant carries its clock in its type, a
 * duration its unit (the models: libcamera's utils::Duration, rpicam-apps' TimeVal). An instant
 * of one clock cannot be compared with, added to or subtracted from one of the other; the one way
 * across is ClockMapping (util/clock_mapping.h).
 *
 * CLOCK_MONOTONIC never jumps: the step executor's time base, and what a sensor stamps frames on.
 * CLOCK_REALTIME is what chrony or PTP aligns across the Pis: the frame grid, capture instants,
 * published motor tracks.
 *
 * Files and messages (manifest, scan.json, PMIx values) keep integer nanoseconds since the clock's
 * epoch; wireNanos() and realtimeFromWire()/monotonicFromWire() are the only crossings, at the
 * codecs. */
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>

namespace lockstep
{

using Nanoseconds = std::chrono::nanoseconds;
using Microseconds = std::chrono::microseconds;
using Milliseconds = std::chrono::milliseconds;
/* Seconds as a double, for the planner's closed-form physics. */
using FloatSeconds = std::chrono::duration<double>;
/* Milliseconds and microseconds as doubles, for reports and messages. */
using FloatMillis = std::chrono::duration<double, std::milli>;
using FloatMicros = std::chrono::duration<double, std::micro>;

struct MonotonicClock {
    using rep = int64_t;
    using period = std::nano;
    using duration = Nanoseconds;
    using time_point = std::chrono::time_point<MonotonicClock>;
    static constexpr bool is_steady = true;
    static constexpr clockid_t id = CLOCK_MONOTONIC;
    static time_point now() noexcept;
};

struct RealtimeClock {
    using rep = int64_t;
    using period = std::nano;
    using duration = Nanoseconds;
    using time_point = std::chrono::time_point<RealtimeClock>;
    static constexpr bool is_steady = false; /* chrony steps or slews it */
    static constexpr clockid_t id = CLOCK_REALTIME;
    static time_point now() noexcept;
};

using MonotonicInstant = MonotonicClock::time_point;
using RealtimeInstant = RealtimeClock::time_point;

/* A duration, or an instant's time since its clock's epoch, as a timespec (tv_nsec in [0, 1e9)
 * also for negative values) and back. */
timespec toTimespec(Nanoseconds d);
Nanoseconds fromTimespec(const timespec &ts);

/* Sleeps until the absolute instant (TIMER_ABSTIME on the instant's own clock), retrying on
 * EINTR. */
void sleepUntil(MonotonicInstant t);
void sleepUntil(RealtimeInstant t);

/* The integer boundary: nanoseconds since the clock's epoch, as files and messages carry them. */
template <class Clock> constexpr int64_t wireNanos(std::chrono::time_point<Clock, Nanoseconds> t)
{
    return t.time_since_epoch().count();
}
constexpr RealtimeInstant realtimeFromWire(int64_t ns)
{
    return RealtimeInstant(Nanoseconds(ns));
}
constexpr MonotonicInstant monotonicFromWire(int64_t ns)
{
    return MonotonicInstant(Nanoseconds(ns));
}

} // namespace lockstep
