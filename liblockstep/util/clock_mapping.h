/* The one converter between lockstep's clocks: CLOCK_MONOTONIC to CLOCK_REALTIME and back, kept
 * by a least-squares line through recent readings of both (Klipper's clocksync does the same
 * between host and MCU clocks). A sensor timestamps frames on CLOCK_MONOTONIC (the Pi's
 * frame-start interrupt); the grid is on CLOCK_REALTIME, which chrony or PTP slews. One offset
 * reading per frame carries that reading's scheduling noise into every timestamp; a fit over the
 * last readings carries almost none, and still follows the slew. With one reading it is that
 * reading's offset. It never allocates, so the step executor's real-time thread may use it. */
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "util/chrono_clocks.h"

namespace lockstep
{

class ClockMapping
{
public:
    /* A mapping from one reading taken now. */
    static ClockMapping sampledNow();

    /* Reads both clocks now (bracketing the realtime read) and adds the pair to the fit. */
    void sample();
    /* Adds one reading: the realtime instant `real` was read at monotonic instant `mono`. */
    void add(MonotonicInstant mono, RealtimeInstant real);
    /* The instant of the other clock. Needs at least one reading. */
    RealtimeInstant toRealtime(MonotonicInstant mono) const;
    MonotonicInstant toMonotonic(RealtimeInstant real) const;
    size_t readings() const { return count_; }

private:
    /* Both clocks' readings as nanoseconds since their epochs: the fit's arithmetic is between
     * the clocks, the one place where that is meaningful. */
    struct Reading {
        int64_t mono;
        int64_t offset; /* real - mono */
    };
    /* Offset at `mono` from the fit. */
    double offsetAt(int64_t mono) const;

    static constexpr size_t kWindow = 64;
    /* The last kWindow readings, oldest at (next_ - count_) mod kWindow. */
    std::array<Reading, kWindow> readings_{};
    size_t count_ = 0;
    size_t next_ = 0;
    /* The fit offset = a + b * (mono - base), recomputed on add(). */
    int64_t base_ = 0;
    double a_ = 0;
    double b_ = 0;
};

} // namespace lockstep
