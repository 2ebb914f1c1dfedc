#include "scan/scan_schedule.h"

#include <algorithm>

namespace lockstep
{

RealtimeInstant captureInstant(const FrameGrid &grid, RealtimeInstant now, Nanoseconds margin,
                               CaptureSync sync)
{
    const Nanoseconds lead =
        sync == CaptureSync::OpenLoop ? kOpenLoopLeadFrames * grid.period : Nanoseconds::zero();
    return grid.instantAtOrAfter(now + margin + lead);
}

Nanoseconds frameGap(const FrameGrid &grid, Nanoseconds handling)
{
    const Nanoseconds needed = handling * 2 + kHandOverSlack;
    const int64_t periods =
        std::max<int64_t>(1, (needed + grid.period - Nanoseconds(1)) / grid.period);
    return periods * grid.period;
}

RealtimeInstant lastRowReadOut(RealtimeInstant T, unsigned frames, Nanoseconds gap,
                               Nanoseconds exposure, Nanoseconds readout)
{
    return T + int64_t(std::max(frames, 1u) - 1) * gap + exposure + readout;
}

PlannedPosition planPosition(const TimelineRules &rules, RealtimeInstant motionStart,
                             Nanoseconds move)
{
    RealtimeInstant earliest = motionStart + kCaptureLead;
    if (move > Nanoseconds::zero())
        earliest = std::max(earliest, motionStart + move + rules.moveSlack + rules.settle);
    if (rules.sync == CaptureSync::OpenLoop)
        earliest = std::max(earliest, motionStart + kOpenLoopLeadFrames * rules.grid.period);
    const RealtimeInstant T = rules.grid.instantAtOrAfter(earliest);
    return {motionStart, T,
            lastRowReadOut(T, rules.frames, rules.gap, rules.exposure, rules.readout)};
}

std::vector<PlannedPosition> planTimeline(const TimelineRules &rules, RealtimeInstant start,
                                          std::span<const Nanoseconds> moves)
{
    std::vector<PlannedPosition> timeline;
    timeline.reserve(moves.size());
    RealtimeInstant motionStart = start;
    for (const Nanoseconds move : moves) {
        timeline.push_back(planPosition(rules, motionStart, move));
        motionStart = std::max(timeline.back().readOut + rules.bound,
                               motionStart + move + rules.coordination);
    }
    return timeline;
}

Nanoseconds delayTimeline(std::vector<PlannedPosition> &timeline, size_t from,
                          const FrameGrid &grid, Nanoseconds late)
{
    if (late <= Nanoseconds::zero())
        return Nanoseconds::zero();
    const Nanoseconds delay = (late + grid.period - Nanoseconds(1)) / grid.period * grid.period;
    for (size_t k = from; k < timeline.size(); ++k) {
        timeline[k].motionStart += delay;
        timeline[k].capture += delay;
        timeline[k].readOut += delay;
    }
    return delay;
}

Nanoseconds armedLate(RealtimeInstant T, RealtimeInstant now)
{
    return kCaptureLead / 2 - (T - now);
}

Nanoseconds moveOverrun(const TimelineRules &rules, RealtimeInstant now, Nanoseconds move,
                        RealtimeInstant T)
{
    return now + move + rules.settle - T - rules.moveSlack;
}

Nanoseconds stillLate(const TimelineRules &rules, RealtimeInstant still, RealtimeInstant T)
{
    return still + rules.settle - T;
}

} // namespace lockstep
