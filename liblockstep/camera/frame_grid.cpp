#include "camera/frame_grid.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "util/errors.h"

namespace lockstep
{

namespace
{

/* floor(a / b) for b > 0, also for negative a. */
Nanos floorDiv(Nanos a, Nanos b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

} // namespace

std::string msText(Nanos t)
{
    char text[32];
    std::snprintf(text, sizeof(text), "%.3f ms", double(t) / 1e6);
    return text;
}

Nanos FrameGrid::instantAtOrAfter(Nanos t) const
{
    return origin + (floorDiv(t - origin - 1, period) + 1) * period;
}

Nanos FrameGrid::nearestInstant(Nanos t) const
{
    return origin + floorDiv(t - origin + period / 2, period) * period;
}

FrameGrid chooseFrameGrid(std::span<const SensorMode> modes, Nanos exposure)
{
    Nanos slowest = exposure;
    for (const SensorMode &mode : modes)
        slowest = std::max(slowest, mode.minFrameDuration);
    FrameGrid grid;
    const auto withHeadroom = Nanos(std::ceil(double(slowest) * (1 + kGridHeadroom)));
    grid.period = (withHeadroom + 999) / 1000 * 1000;
    for (const SensorMode &mode : modes)
        if (mode.maxFrameDuration > 0 && mode.maxFrameDuration < grid.period)
            throw InputError("the cameras cannot share one frame rate: one needs frames of at "
                             "least " +
                             msText(slowest) + ", another allows at most " +
                             msText(mode.maxFrameDuration));
    return grid;
}

} // namespace lockstep
