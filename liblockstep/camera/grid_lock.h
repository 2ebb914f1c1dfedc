/* Holding one camera's frames on the scan's frame grid, closed loop (backend-independent).
 *
 * The sensor streams at the grid period. Every completed frame's start time (CLOCK_REALTIME)
 * goes to onFrame(), which answers with the frame duration the next request to the sensor must
 * carry. A duration reaches the sensor only some frames later (the control latency): on a
 * Raspberry Pi the control travels with a request paired with a captured raw frame, then waits the
 * sensor's own VBLANK delay, "num_buffers + 3 or + 4" frames and not guaranteed. So the latency is
 * measured, not assumed: the first correction (a single stretched frame that brings the phase onto
 * the grid) doubles as the probe, and the first frame whose duration shows it gives the latency.
 * From then on each frame's predicted start, from the durations already committed, is corrected
 * by one frame duration per frame (deadbeat); the sensor's real rate (its clock drift and line
 * quantisation) is learnt from the frames themselves.
 *
 * OpenLoop is the scheme lockstep used before, kept as the measured peer of the phase lock: the
 * sensor free-runs, and each capture stretches one frame assuming the latency is the number of
 * buffers + 2. When the real latency is longer the stretch lands after the frame it was meant
 * for, and that capture misses its instant by up to a period. */
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "camera/frame_grid.h"
#include "config/plan.h"

namespace lockstep
{

/* Lock error figures of one camera: a frame's start minus its nearest grid instant. */
struct LockStats {
    unsigned frames = 0;
    Nanoseconds last{0};
    Nanoseconds maxAbs{0};
    Nanoseconds sumAbs{0};
    std::optional<unsigned> latencyFrames; /* measured control latency */

    Nanoseconds meanAbs() const { return frames ? sumAbs / frames : Nanoseconds::zero(); }
    void add(Nanoseconds error);
    void merge(const LockStats &other);
};

class GridLock
{
public:
    struct Options {
        CaptureSync scheme = CaptureSync::PhaseLocked;
        SensorMode mode;
        /* |lock error| up to which a frame counts as on its instant. */
        Nanoseconds bound{0};
        /* OpenLoop only: the latency it assumes (buffers in flight + 2). */
        unsigned assumedLatency = 5;
        /* Something else holds the phase (Raspberry Pi's camera sync): every frame gets the
         * nominal duration and the lock error is only measured; locked once a frame is within
         * the bound. */
        bool follow = false;
    };

    GridLock(const FrameGrid &grid, const Options &options);

    /* Frame `sequence` (gaps are dropped frames) started at `start`, CLOCK_REALTIME. Called for
     * every frame, in order. Returns the frame duration to put on the next request. */
    Nanoseconds onFrame(uint64_t sequence, RealtimeInstant start);
    /* The duration of every request before the first frame. */
    Nanoseconds nominalDuration() const { return grid_.period; }

    /* OpenLoop: retime the sensor so that a frame starts at t (a grid instant). PhaseLocked:
     * nothing to do, the frames are already there. */
    void prepareCapture(RealtimeInstant t);

    /* Phase-locked: the phase is on the grid (within the bound) and the latency is known.
     * OpenLoop: always (it does not lock). */
    bool locked() const;
    std::optional<unsigned> latency() const { return latency_; }
    /* Lock error figures since the last call (frames from the first lock on). */
    LockStats takeStats();

    const FrameGrid &grid() const { return grid_; }

private:
    struct Issued {
        uint64_t atFrame;     /* the frame whose completion issued it */
        Nanoseconds duration; /* requested */
    };

    Nanoseconds phaseLocked(uint64_t sequence, RealtimeInstant start);
    Nanoseconds openLoop(RealtimeInstant start);
    Nanoseconds clampDuration(Nanoseconds d) const;
    /* The duration requested for frame `frame` (the nominal one where none was issued). */
    Nanoseconds requestedFor(uint64_t frame) const;
    /* The duration the sensor really gives for a request: whole lines at its own rate. */
    Nanoseconds predictActual(Nanoseconds requested) const;
    void learnRate(uint64_t sequence, RealtimeInstant start);

    FrameGrid grid_;
    Options options_;

    std::optional<unsigned> latency_;
    std::deque<Issued> issued_;          /* the last requests, newest at the back */
    std::optional<uint64_t> probeFrame_; /* the frame whose completion issued the probe */
    Nanoseconds probeDuration_{0};
    uint64_t trackingFrom_ = 0; /* the first frame after the latency was known */
    std::optional<uint64_t> lastSequence_;
    RealtimeInstant lastStart_;
    double rate_ = 1.0; /* actual / requested duration: the sensor clock against CLOCK_REALTIME */
    bool locked_ = false;
    std::optional<RealtimeInstant> captureAt_; /* OpenLoop: an instant still to retime for */
    LockStats stats_;
};

} // namespace lockstep
