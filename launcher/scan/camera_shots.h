/* A position's frames on one node: every camera takes its grid frames at once, each on a thread
 * of its own at real-time priority (thread_priorities.h). */
#pragma once

#include <atomic>
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

/* A capture thread waits for its instant where a stop can cut the wait short, and asks the
 * camera for the frame this long before it (plus the scheme's retiming lead): the frame is
 * announced (Camera::expect), so a thread woken late still gets it. */
constexpr Nanoseconds kCaptureWake = Milliseconds(50);

/* Thrown by takeShots() when `stop` was raised before its frames were taken. */
class CaptureStopped : public RunError
{
public:
    CaptureStopped() : RunError("capture stopped by a signal") {}
};

/* Each camera takes `frames` grid frames, at T, T + gap, ...; in camera order, each on a thread
 * at SCHED_FIFO `capturePriority` (ScanThreadPriorities::capture). Rethrows the first camera's
 * error. `lead`: how long before an instant the camera must be asked (open loop's retiming
 * lead; 0 for phase-locked streaming). */
std::vector<Shots> takeShots(const std::vector<std::unique_ptr<Camera>> &cameras, RealtimeInstant T,
                             Nanoseconds gap, unsigned frames, Nanoseconds lead,
                             const std::atomic<bool> &stop, int capturePriority);

} // namespace lockstep
