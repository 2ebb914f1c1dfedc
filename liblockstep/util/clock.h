/* Clocks used across lockstep, all as signed 64-bit nanoseconds. */
#pragma once

#include <cstdint>
#include <ctime>

namespace lockstep
{

using Nanos = int64_t;

constexpr Nanos kNanosPerSecond = 1'000'000'000;

/* CLOCK_MONOTONIC: the step executor's time base (never jumps). */
Nanos monotonicNow();
/* CLOCK_REALTIME: the cluster-wide time base that chrony/PTP aligns across Pis.
 * Capture instants, sensor timestamps and published motor tracks use it. */
Nanos realtimeNow();

timespec toTimespec(Nanos t);
Nanos fromTimespec(const timespec &ts);

/* Sleeps until the absolute time t of the given clock (TIMER_ABSTIME), retrying on EINTR. */
void sleepUntil(clockid_t clock, Nanos t);

} // namespace lockstep
