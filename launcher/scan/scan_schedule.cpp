#include "scan/scan_schedule.h"

#include <algorithm>

namespace lockstep
{

Nanos captureInstant(const FrameGrid &grid, Nanos now, Nanos margin, CaptureSync sync)
{
    const Nanos lead = sync == CaptureSync::OpenLoop ? kOpenLoopLeadFrames * grid.period : 0;
    return grid.instantAtOrAfter(now + margin + lead);
}

Nanos frameGap(const FrameGrid &grid, Nanos handling)
{
    const Nanos needed = handling * 2 + kHandOverSlack;
    const Nanos periods = std::max<Nanos>(1, (needed + grid.period - 1) / grid.period);
    return periods * grid.period;
}

Nanos lastRowReadOut(Nanos T, unsigned frames, Nanos gap, Nanos exposure, Nanos readout)
{
    return T + Nanos(std::max(frames, 1u) - 1) * gap + exposure + readout;
}

PlannedPosition planPosition(const TimelineRules &rules, Nanos motionStart, Nanos move)
{
    Nanos earliest = motionStart + kCaptureLead;
    if (move > 0)
        earliest = std::max(earliest, motionStart + move + rules.moveSlack + rules.settle);
    if (rules.sync == CaptureSync::OpenLoop)
        earliest = std::max(earliest, motionStart + kOpenLoopLeadFrames * rules.grid.period);
    const Nanos T = rules.grid.instantAtOrAfter(earliest);
    return {motionStart, T,
            lastRowReadOut(T, rules.frames, rules.gap, rules.exposure, rules.readout)};
}

std::vector<PlannedPosition> planTimeline(const TimelineRules &rules, Nanos start,
                                          std::span<const Nanos> moves)
{
    std::vector<PlannedPosition> timeline;
    timeline.reserve(moves.size());
    Nanos motionStart = start;
    for (const Nanos move : moves) {
        timeline.push_back(planPosition(rules, motionStart, move));
        motionStart = std::max(timeline.back().readOut + rules.bound,
                               motionStart + move + rules.coordination);
    }
    return timeline;
}

Nanos delayTimeline(std::vector<PlannedPosition> &timeline, size_t from, const FrameGrid &grid,
                    Nanos late)
{
    if (late <= 0)
        return 0;
    const Nanos delay = (late + grid.period - 1) / grid.period * grid.period;
    for (size_t k = from; k < timeline.size(); ++k) {
        timeline[k].motionStart += delay;
        timeline[k].capture += delay;
        timeline[k].readOut += delay;
    }
    return delay;
}

} // namespace lockstep
