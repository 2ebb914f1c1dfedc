/* The scan's frame grid: for a whole scan every camera of every node streams at one frame
 * duration, with frames starting on one CLOCK_REALTIME grid, origin + k * period. A capture then
 * selects the grid frame at the instant it wants instead of retiming a sensor per shot. The grid
 * needs no exchange beyond the sensor modes: every rank computes the same one from them. */
#pragma once

#include <span>
#include <string>

#include "util/chrono_clocks.h"

namespace lockstep
{

/* What a camera's configured sensor mode allows, reported by Camera::configure(). */
struct SensorMode {
    Nanoseconds minFrameDuration{
        0}; /* the mode's fastest frame (the IPA clamps anything shorter) */
    Nanoseconds maxFrameDuration{0};
    /* From the first row's exposure start to the last row's (rolling shutter); 0 for a global
     * shutter. The last row is exposed until start + exposure + readout. */
    Nanoseconds readout{0};
    /* Frame durations are whole lines of this length; 0 when the backend does not know. */
    Nanoseconds lineTime{0};
};

struct FrameGrid {
    RealtimeInstant origin;
    Nanoseconds period{0};

    /* The first grid instant at or after t. */
    RealtimeInstant instantAtOrAfter(RealtimeInstant t) const;
    /* The grid instant nearest to t. */
    RealtimeInstant nearestInstant(RealtimeInstant t) const;
    /* t minus its nearest grid instant: in [-period/2, period/2). */
    Nanoseconds errorOf(RealtimeInstant t) const { return t - nearestInstant(t); }
};

/* Frame durations may be shortened by this fraction of the period to pull a late camera back:
 * the grid's period leaves that much room above every mode's minimum. */
constexpr double kGridHeadroom = 0.02;

/* A duration as text for messages: "12.345 ms". */
std::string msText(Nanoseconds d);

/* The grid every rank derives from every camera's mode and the plan's exposure: the period is the
 * slowest mode's minimum (or the exposure, if longer) plus kGridHeadroom, in whole microseconds
 * (libcamera's unit for FrameDurationLimits); the origin is the Unix epoch. Throws InputError
 * when a mode cannot run that slowly (maxFrameDuration). */
FrameGrid chooseFrameGrid(std::span<const SensorMode> modes, Nanoseconds exposure);

} // namespace lockstep
