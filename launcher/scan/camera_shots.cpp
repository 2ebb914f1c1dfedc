#include "scan/camera_shots.h"

#include <algorithm>
#include <future>

#include "scan/thread_priorities.h"

#include "util/signal_guard.h"

namespace lockstep
{

Nanoseconds handlingOf(const Frame &frame)
{
    return RealtimeClock::now() - frame.sensorTimestamp - frame.exposure - frame.readout;
}

std::vector<Shots> takeShots(const std::vector<std::unique_ptr<Camera>> &cameras, RealtimeInstant T,
                             Nanoseconds gap, unsigned frames, Nanoseconds lead,
                             const std::atomic<bool> &stop, int capturePriority)
{
    std::vector<std::future<Shots>> pending;
    pending.reserve(cameras.size());
    std::vector<RealtimeInstant> instants;
    instants.reserve(frames);
    for (unsigned f = 0; f < frames; ++f)
        instants.push_back(T + int64_t(f) * gap);
    for (const auto &camera : cameras)
        camera->expect(instants);
    for (const auto &camera : cameras)
        pending.push_back(std::async(
            std::launch::async, [cam = camera.get(), T, gap, frames, lead, &stop, capturePriority] {
                raiseThreadPriority(capturePriority);
                Shots taken;
                for (unsigned f = 0; f < frames; ++f) {
                    const RealtimeInstant instant = T + int64_t(f) * gap;
                    if (!sleepUnlessStopped(instant - lead - kCaptureWake, stop))
                        throw CaptureStopped();
                    taken.frames.push_back(cam->captureAt(instant));
                    taken.handling = std::max(taken.handling, handlingOf(taken.frames.back()));
                }
                return taken;
            }));
    std::vector<Shots> shots;
    shots.reserve(pending.size());
    for (auto &p : pending)
        shots.push_back(p.get());
    return shots;
}

} // namespace lockstep
