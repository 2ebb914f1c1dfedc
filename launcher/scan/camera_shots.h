/* A position's frames on one node: every camera takes its grid frames at once, each on a thread
 * of its own at real-time priority (thread_priorities.h). */
#pragma once

#include <memory>
#include <vector>

#include "camera/camera.h"

namespace lockstep
{

/* What one camera took at one position, and the longest hand-over among them. */
struct Shots {
    std::vector<Frame> frames;
    Nanoseconds handling{0};
};

/* How long after its last row was read out a frame was handed over: called as soon as the
 * camera returned it. */
Nanoseconds handlingOf(const Frame &frame);

/* Each camera takes `frames` grid frames, at T, T + gap, ...; in camera order, each on a thread
 * at SCHED_FIFO `capturePriority` (ScanThreadPriorities::capture). Rethrows the first camera's
 * error. */
std::vector<Shots> takeShots(const std::vector<std::unique_ptr<Camera>> &cameras, RealtimeInstant T,
                             Nanoseconds gap, unsigned frames, int capturePriority);

} // namespace lockstep
