#include "util/clock_mapping.h"

#include <algorithm>
#include <cmath>

namespace lockstep
{

ClockMapping ClockMapping::sampledNow()
{
    ClockMapping mapping;
    mapping.sample();
    return mapping;
}

void ClockMapping::sample()
{
    const MonotonicInstant before = MonotonicClock::now();
    const RealtimeInstant real = RealtimeClock::now();
    const MonotonicInstant after = MonotonicClock::now();
    add(before + (after - before) / 2, real);
}

void ClockMapping::add(MonotonicInstant mono, RealtimeInstant real)
{
    readings_[next_] = {wireNanos(mono), wireNanos(real) - wireNanos(mono)};
    next_ = (next_ + 1) % kWindow;
    count_ = std::min(count_ + 1, kWindow);

    /* Least squares of offset against time, both relative to the oldest reading so the sums
     * stay well inside a double's precision. */
    const size_t oldest = (next_ + kWindow - count_) % kWindow;
    base_ = readings_[oldest].mono;
    const int64_t offsetBase = readings_[oldest].offset;
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (size_t i = 0; i < count_; ++i) {
        const Reading &r = readings_[(oldest + i) % kWindow];
        const double x = double(r.mono - base_);
        const double y = double(r.offset - offsetBase);
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    const double n = double(count_);
    const double spread = n * sxx - sx * sx;
    /* Readings too close together give no slope worth trusting: the mean offset then. */
    b_ = spread > n * n * 1e12 ? (n * sxy - sx * sy) / spread : 0.0;
    a_ = double(offsetBase) + (sy - b_ * sx) / n;
}

double ClockMapping::offsetAt(int64_t mono) const
{
    return a_ + b_ * double(mono - base_);
}

RealtimeInstant ClockMapping::toRealtime(MonotonicInstant mono) const
{
    const int64_t m = wireNanos(mono);
    return realtimeFromWire(m + std::llround(offsetAt(m)));
}

MonotonicInstant ClockMapping::toMonotonic(RealtimeInstant real) const
{
    /* The offset changes by parts per million: one refinement is exact to the nanosecond. */
    const int64_t r = wireNanos(real);
    const int64_t guess = r - std::llround(offsetAt(r - int64_t(a_)));
    return monotonicFromWire(r - std::llround(offsetAt(guess)));
}

} // namespace lockstep
