#include "util/clock_mapping.h"

#include <cmath>

namespace lockstep
{

void ClockMapping::sample()
{
    const Nanos before = monotonicNow();
    const Nanos real = realtimeNow();
    const Nanos after = monotonicNow();
    add(before + (after - before) / 2, real);
}

void ClockMapping::add(Nanos mono, Nanos real)
{
    readings_.push_back({mono, real - mono});
    if (readings_.size() > kWindow)
        readings_.pop_front();

    /* Least squares of offset against time, both relative to the first reading so the sums
     * stay well inside a double's precision. */
    base_ = readings_.front().mono;
    const Nanos offsetBase = readings_.front().offset;
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (const Reading &r : readings_) {
        const double x = double(r.mono - base_);
        const double y = double(r.offset - offsetBase);
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    const double n = double(readings_.size());
    const double spread = n * sxx - sx * sx;
    /* Readings too close together give no slope worth trusting: the mean offset then. */
    b_ = spread > n * n * 1e12 ? (n * sxy - sx * sy) / spread : 0.0;
    a_ = double(offsetBase) + (sy - b_ * sx) / n;
}

double ClockMapping::offsetAt(Nanos mono) const
{
    return a_ + b_ * double(mono - base_);
}

Nanos ClockMapping::toRealtime(Nanos mono) const
{
    return mono + Nanos(std::llround(offsetAt(mono)));
}

Nanos ClockMapping::toMonotonic(Nanos real) const
{
    /* The offset changes by parts per million: one refinement is exact to the nanosecond. */
    const Nanos guess = real - Nanos(std::llround(offsetAt(real - Nanos(a_))));
    return real - Nanos(std::llround(offsetAt(guess)));
}

} // namespace lockstep
