/* The scan's timing rules as pure functions of the frame grid: when a position's frames are
 * taken and when the motors may move again. Every rank evaluates them alike, from the same
 * inputs (the plan, every camera's mode, every node's planned move durations and one start
 * instant from rank 0), so every rank holds the same timeline without asking anyone. */
#pragma once

#include <span>
#include <vector>

#include "camera/frame_grid.h"
#include "config/plan.h"

namespace lockstep
{

/* Open loop only: how far ahead of a capture its instant must be for the sensor to be retimed
 * (buffers in flight + 2 frames, the latency that scheme assumes). */
constexpr int64_t kOpenLoopLeadFrames = 5;

/* The capture instant T rank 0 announces at `now`: the first grid frame after the margin (the
 * time the broadcast needs); open loop also leaves its retiming lead. */
RealtimeInstant captureInstant(const FrameGrid &grid, RealtimeInstant now, Nanoseconds margin,
                               CaptureSync sync);

/* From one frame of a position to the next: whole grid periods, enough for every camera to hand
 * over the previous frame and still find the next one in its buffers: twice the slowest rank's
 * hand-over time so far plus kHandOverSlack (a loaded node's hand-over varies that much). */
constexpr Nanoseconds kHandOverSlack = Milliseconds(20);

Nanoseconds frameGap(const FrameGrid &grid, Nanoseconds handling);

/* When the last row of a position's last frame has been read out: the motors wait for it, on
 * every node, since any camera may film any motor. */
RealtimeInstant lastRowReadOut(RealtimeInstant T, unsigned frames, Nanoseconds gap,
                               Nanoseconds exposure, Nanoseconds readout);

/* A capture thread is waiting for its frame at least this long before T. */
constexpr Nanoseconds kCaptureLead = Milliseconds(5);
/* Added to a planned move at least: the executor's wake-up and ENABLE set-up. */
constexpr Nanoseconds kExecutorSlack = Milliseconds(2);

/* What the timeline of a scan is planned from. */
struct TimelineRules {
    FrameGrid grid;
    Nanoseconds exposure{0};
    Nanoseconds readout{0}; /* the slowest camera's */
    Nanoseconds bound{0};   /* the lock bound: a frame may start this late */
    Nanoseconds settle{0};  /* after a move, before a capture */
    /* After every move: the executor may be this late (the rig's max_lateness_us: a Pi's own
     * core 0.5 ms, simulated nodes on a shared machine 100 ms) and still complete it. */
    Nanoseconds moveSlack = kExecutorSlack;
    Nanoseconds gap{0}; /* between the frames of a position (frameGap) */
    /* The fence of a position runs between its move and the next motion start: at least this
     * long apart (measured fences; 0 when they fit in the exposure and readout anyway). */
    Nanoseconds coordination{0};
    unsigned frames = 1;
    CaptureSync sync = CaptureSync::PhaseLocked;
};

/* One position on the timeline. */
struct PlannedPosition {
    RealtimeInstant motionStart; /* the motors may start moving */
    RealtimeInstant capture;     /* T: the grid instant of the position's first frame */
    RealtimeInstant readOut;     /* the last row of its last frame is read out */
};

/* Position k, whose motors may start at motionStart and take `move` (0: nothing moves): T is
 * the first grid instant after the slowest move, the move slack and the settle time,
 * and at least kCaptureLead (open loop: its retiming lead) after motionStart. */
PlannedPosition planPosition(const TimelineRules &rules, RealtimeInstant motionStart,
                             Nanoseconds move);

/* Positions in order, the first starting its motion at `start`, each next one when the last
 * row of the one before has been read out (plus the lock bound: a frame may start that late),
 * and no sooner than `coordination` after the end of the move before (its fence's time).
 * moves[i]: the slowest node's planned move to position i. */
std::vector<PlannedPosition> planTimeline(const TimelineRules &rules, RealtimeInstant start,
                                          std::span<const Nanoseconds> moves);

/* When a rank is too late for a position's capture, the scan stops instead of capturing late
 * (docs/cameras.md, "Late"). Each returns how late: positive means stop, with that figure in
 * the message. */
/* A capture armed at `now` for instant T: its thread must be waiting kCaptureLead / 2 before T. */
Nanoseconds armedLate(RealtimeInstant T, RealtimeInstant now);
/* A move that would start at `now` and take `move`: still, settled and within the move slack
 * by T, or it is not started. */
Nanoseconds moveOverrun(const TimelineRules &rules, RealtimeInstant now, Nanoseconds move,
                        RealtimeInstant T);
/* Motors that stood still at `still`: by T - settle. */
Nanoseconds stillLate(const TimelineRules &rules, RealtimeInstant still, RealtimeInstant T);

/* Delays positions from `from` on by whole grid periods, at least `late`: their capture
 * instants stay on the grid. Returns the delay (0 when late <= 0). */
Nanoseconds delayTimeline(std::vector<PlannedPosition> &timeline, size_t from,
                          const FrameGrid &grid, Nanoseconds late);

} // namespace lockstep
