/* The three output lines of a stepper driver with their polarity: what the step executor
 * drives and what a simulated driver watches. */
#pragma once

#include "config/rig.h"

namespace lockstep
{

/* A driver's three outputs with their polarity (activeLow: active = physical 0). */
struct MotorLines {
    unsigned step = 0;
    bool stepActiveLow = false;
    unsigned dir = 0;
    bool dirActiveLow = false; /* DIR active = positive direction */
    unsigned enable = 0;
    bool enableActiveLow = false;
};

/* The STEP, DIR and ENABLE lines of a motor's rig entry. */
MotorLines motorLinesOf(const MotorConfig &motor);

} // namespace lockstep
