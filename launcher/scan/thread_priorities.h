/* The real-time priorities of a scan's own threads, derived from the step executor's (the rig's
 * executor.priority) so that the executor always preempts them, whatever the rig sets: a late
 * step loses the motor's position or stops the move, while the timeline has the schedule's
 * margins to absorb a delay. The thread that keeps the timeline (motion starts, fences, the wait
 * for the capture instant) comes next, a late hand-over can cost the frame; then the capture
 * threads, which may copy or render whole frames and must not hold the timeline up. JPEG writers
 * stay on the normal scheduler. */
#pragma once

namespace lockstep
{

struct ScanThreadPriorities {
    /* SCHED_FIFO priorities; 0 where the executor's is too low to fit one below it: that thread
     * stays on the normal scheduler, which every SCHED_FIFO thread preempts anyway. */
    int timeline = 0;
    int capture = 0;
};

ScanThreadPriorities scanThreadPriorities(int executorPriority);

/* SCHED_FIFO at `priority` for the calling thread, where permitted (else the normal scheduler;
 * the executor has already warned that real-time scheduling is not granted). 0 leaves the
 * thread as it is. */
void raiseThreadPriority(int priority);

} // namespace lockstep
