/* The scan's timing rules as pure functions of the frame grid: when a position's frames are
 * taken and when the motors may move again. Every rank evaluates them alike. */
#pragma once

#include "camera/frame_grid.h"
#include "config/plan.h"

namespace lockstep
{

/* Open loop only: how far ahead of a capture its instant must be for the sensor to be retimed
 * (buffers in flight + 2 frames, the latency that scheme assumes). */
constexpr Nanos kOpenLoopLeadFrames = 5;

/* The capture instant T rank 0 announces at `now`: the first grid frame after the margin (the
 * time the broadcast needs); open loop also leaves its retiming lead. */
Nanos captureInstant(const FrameGrid &grid, Nanos now, Nanos margin, CaptureSync sync);

/* From one frame of a position to the next: whole grid periods, enough for every camera to hand
 * over the previous frame and still find the next one in its buffers: twice the slowest rank's
 * hand-over time so far plus kHandOverSlack (a loaded node's hand-over varies that much). */
constexpr Nanos kHandOverSlack = 20'000'000;

Nanos frameGap(const FrameGrid &grid, Nanos handling);

/* When the last row of a position's last frame has been read out: the motors wait for it, on
 * every node, since any camera may film any motor. */
Nanos lastRowReadOut(Nanos T, unsigned frames, Nanos gap, Nanos exposure, Nanos readout);

} // namespace lockstep
