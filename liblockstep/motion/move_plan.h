/* Motion planning (Klipper's split: the planner computes exact step times, the executor only
 * times them). A move of one or more motors of one node, all starting and finishing together. */
#pragma once

#include <cstdint>
#include <vector>

#include "util/chrono_clocks.h"

namespace lockstep
{

/* One motor's part of a move, in absolute microsteps, with its limits in steps/s and steps/s^2. */
struct AxisRequest {
    int64_t fromStep = 0;
    int64_t toStep = 0;
    double maxStepRate = 0;
    double maxStepAccel = 0;
};

/* A trapezoidal (or triangular) move in a normalised progress s(t) in [0,1] shared by every
 * axis, so that all axes start and finish together; the k-th step of an axis with N steps is
 * taken when s(t) = k/N. Step times are computed in closed form, never accumulated, so the
 * same request gives the same nanosecond times on every machine. */
class MovePlan
{
public:
    /* Throws std::invalid_argument for non-positive limits of an axis that moves. */
    static MovePlan plan(const std::vector<AxisRequest> &axes);

    size_t axisCount() const;
    int64_t stepCount(size_t axis) const; /* |toStep - fromStep| */
    int direction(size_t axis) const;     /* +1, -1, or 0 for an axis that does not move */
    int64_t fromStep(size_t axis) const;
    int64_t toStep(size_t axis) const;

    Nanoseconds duration() const; /* from the first possible step to the last step */
    /* Time from the start of the move of step k (1..stepCount) of the axis. Strictly
     * increasing in k. */
    Nanoseconds stepTime(size_t axis, int64_t k) const;
    /* Absolute step position of the axis t after the start (clamped). */
    int64_t positionAt(size_t axis, Nanoseconds t) const;
    /* Highest step rate the axis reaches (steps/s). */
    double peakStepRate(size_t axis) const;

    /* Internal shape of the normalised profile, exposed for tests and reports. */
    FloatSeconds accelTime() const;  /* spent accelerating (== decelerating) */
    FloatSeconds cruiseTime() const; /* at constant speed (0 for a triangular move) */

private:
    struct Axis {
        int64_t from = 0;
        int64_t to = 0;
    };
    std::vector<Axis> axes_;
    double accelTime_ = 0; /* seconds */
    double cruiseTime_ = 0;
    double peakRate_ = 0; /* normalised progress per second at cruise */
    double accel_ = 0;    /* normalised progress per second^2 */
};

} // namespace lockstep
