#include "motion/move_plan.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace lockstep
{

namespace
{

bool positiveFinite(double v)
{
    return std::isfinite(v) && v > 0;
}

/* The planner's closed-form seconds, rounded once to the nanosecond. */
Nanoseconds toNanos(double seconds)
{
    return std::chrono::round<Nanoseconds>(FloatSeconds(seconds));
}

} // namespace

MovePlan MovePlan::plan(const std::vector<AxisRequest> &axes)
{
    MovePlan p;
    /* Limits of the normalised progress: the slowest moving axis sets the pace of all. */
    double rate = std::numeric_limits<double>::infinity();
    double accel = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < axes.size(); ++i) {
        const AxisRequest &a = axes[i];
        p.axes_.push_back({a.fromStep, a.toStep});
        const int64_t n = p.stepCount(i);
        if (n == 0)
            continue;
        if (!positiveFinite(a.maxStepRate) || !positiveFinite(a.maxStepAccel))
            throw std::invalid_argument("axis " + std::to_string(i) +
                                        ": step rate and acceleration must be positive, got " +
                                        std::to_string(a.maxStepRate) + " steps/s and " +
                                        std::to_string(a.maxStepAccel) + " steps/s^2");
        rate = std::min(rate, a.maxStepRate / static_cast<double>(n));
        accel = std::min(accel, a.maxStepAccel / static_cast<double>(n));
    }
    if (!std::isfinite(rate))
        return p; /* nothing moves: duration 0 */

    p.accel_ = accel;
    const double rampDistance = rate * rate / (2 * accel);
    if (2 * rampDistance >= 1) {
        /* Triangle: the peak speed is reached half-way and is below the limit. */
        p.accelTime_ = std::sqrt(1 / accel);
        p.peakRate_ = accel * p.accelTime_;
        p.cruiseTime_ = 0;
    } else {
        p.accelTime_ = rate / accel;
        p.peakRate_ = rate;
        p.cruiseTime_ = (1 - 2 * rampDistance) / rate;
    }
    return p;
}

size_t MovePlan::axisCount() const
{
    return axes_.size();
}

int64_t MovePlan::stepCount(size_t axis) const
{
    const Axis &a = axes_.at(axis);
    return a.to >= a.from ? a.to - a.from : a.from - a.to;
}

int MovePlan::direction(size_t axis) const
{
    const Axis &a = axes_.at(axis);
    return (a.to > a.from) - (a.to < a.from);
}

int64_t MovePlan::fromStep(size_t axis) const
{
    return axes_.at(axis).from;
}

int64_t MovePlan::toStep(size_t axis) const
{
    return axes_.at(axis).to;
}

Nanoseconds MovePlan::duration() const
{
    return toNanos(2 * accelTime_ + cruiseTime_);
}

/* Closed-form inverse of s(t): the time at which the progress reaches s. */
static double timeAtProgress(double s, double accelTime, double cruiseTime, double peakRate,
                             double accel)
{
    const double rampDistance = 0.5 * accel * accelTime * accelTime;
    if (s <= rampDistance)
        return std::sqrt(2 * s / accel);
    if (s < 1 - rampDistance)
        return accelTime + (s - rampDistance) / peakRate;
    const double remaining = std::max(0.0, 1 - s);
    return 2 * accelTime + cruiseTime - std::sqrt(2 * remaining / accel);
}

Nanoseconds MovePlan::stepTime(size_t axis, int64_t k) const
{
    const int64_t n = stepCount(axis);
    if (k < 1 || k > n)
        throw std::out_of_range("step " + std::to_string(k) + " of an axis with " +
                                std::to_string(n) + " steps");
    if (k == n)
        return duration();
    const double s = static_cast<double>(k) / static_cast<double>(n);
    return toNanos(timeAtProgress(s, accelTime_, cruiseTime_, peakRate_, accel_));
}

int64_t MovePlan::positionAt(size_t axis, Nanoseconds t) const
{
    const int64_t n = stepCount(axis);
    if (n == 0 || t <= Nanoseconds::zero())
        return fromStep(axis);
    if (t >= duration())
        return toStep(axis);
    /* Estimate from s(t), then settle on the count of step times <= t so that this agrees
     * exactly with stepTime() despite rounding. */
    const double ts = FloatSeconds(t).count();
    const double total = 2 * accelTime_ + cruiseTime_;
    double s = 0;
    if (ts <= accelTime_)
        s = 0.5 * accel_ * ts * ts;
    else if (ts <= accelTime_ + cruiseTime_)
        s = 0.5 * peakRate_ * accelTime_ + peakRate_ * (ts - accelTime_);
    else
        s = 1 - 0.5 * accel_ * (total - ts) * (total - ts);
    int64_t k =
        std::clamp<int64_t>(static_cast<int64_t>(std::floor(s * static_cast<double>(n))), 0, n);
    while (k < n && stepTime(axis, k + 1) <= t)
        ++k;
    while (k > 0 && stepTime(axis, k) > t)
        --k;
    return fromStep(axis) + direction(axis) * k;
}

double MovePlan::peakStepRate(size_t axis) const
{
    return peakRate_ * static_cast<double>(stepCount(axis));
}

FloatSeconds MovePlan::accelTime() const
{
    return FloatSeconds(accelTime_);
}

FloatSeconds MovePlan::cruiseTime() const
{
    return FloatSeconds(cruiseTime_);
}

} // namespace lockstep
