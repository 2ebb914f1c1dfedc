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

} // namespace lockstep
