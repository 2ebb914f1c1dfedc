/* A position's frames on one node: every camera takes its grid frames at once, each on a thread
 * of its own at real-time priority. */
#pragma once

#include <memory>
#include <vector>

#include "camera/camera.h"

namespace lockstep
{

/* What one camera took at one position, and the longest hand-over among them. */
struct Shots {
    std::vector<Frame> frames;
    Nanos handling = 0;
};

/* SCHED_FIFO for the calling thread, where permitted (else the normal scheduler; the executor
 * has already said so), below the step executor: first the thread that keeps the scan's
 * timeline (motion starts, fences), then the capture threads, which may copy or render whole
 * frames and must not hold the timeline up; JPEG writers stay on the normal scheduler. */
void raiseTimelinePriority();
void raiseCapturePriority();

/* How long after its last row was read out a frame was handed over: called as soon as the
 * camera returned it. */
Nanos handlingOf(const Frame &frame);

/* Each camera takes `frames` grid frames, at T, T + gap, ...; in camera order. Rethrows the
 * first camera's error. */
std::vector<Shots> takeShots(const std::vector<std::unique_ptr<Camera>> &cameras, Nanos T,
                             Nanos gap, unsigned frames);

} // namespace lockstep
