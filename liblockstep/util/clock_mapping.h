/* CLOCK_MONOTONIC to CLOCK_REALTIME, kept by a least-squares line through recent readings. A
 * sensor timestamps frames on CLOCK_MONOTONIC (the Pi's frame-start interrupt); the grid is on
 * CLOCK_REALTIME, which chrony or PTP slews. One offset reading per frame carries that reading's
 * scheduling noise into every timestamp; a fit over the last readings carries almost none, and
 * still follows the slew. */
#pragma once

#include <cstddef>
#include <deque>

#include "util/clock.h"

namespace lockstep
{

class ClockMapping
{
public:
    /* Reads both clocks now (bracketing the realtime read) and adds the pair to the fit. */
    void sample();
    /* Adds one reading: the realtime instant `real` was read at monotonic instant `mono`. */
    void add(Nanos mono, Nanos real);
    /* The realtime instant for a monotonic one. Needs at least one reading. */
    Nanos toRealtime(Nanos mono) const;
    Nanos toMonotonic(Nanos real) const;
    size_t readings() const { return readings_.size(); }

private:
    struct Reading {
        Nanos mono;
        Nanos offset; /* real - mono */
    };
    /* Offset at `mono` from the fit. */
    double offsetAt(Nanos mono) const;

    static constexpr size_t kWindow = 64;
    std::deque<Reading> readings_;
    /* The fit offset = a + b * (mono - base), recomputed on add(). */
    Nanos base_ = 0;
    double a_ = 0;
    double b_ = 0;
};

} // namespace lockstep
