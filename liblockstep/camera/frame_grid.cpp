#include "camera/frame_grid.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "util/errors.h"

namespace lockstep
{

namespace
{

/* floor(a / b) for b > 0, also for negative a: whole periods. */
int64_t floorDiv(Nanoseconds a, Nanoseconds b)
{
    return a >= Nanoseconds::zero() ? a / b : -((-a + b - Nanoseconds(1)) / b);
}

} // namespace

std::string msText(Nanoseconds d)
{
    char text[32];
    std::snprintf(text, sizeof(text), "%.3f ms",
                  std::chrono::duration<double, std::milli>(d).count());
    return text;
}

RealtimeInstant FrameGrid::instantAtOrAfter(RealtimeInstant t) const
{
    return origin + (floorDiv(t - origin - Nanoseconds(1), period) + 1) * period;
}

RealtimeInstant FrameGrid::nearestInstant(RealtimeInstant t) const
{
    return origin + floorDiv(t - origin + period / 2, period) * period;
}

FrameGrid chooseFrameGrid(std::span<const SensorMode> modes, Nanoseconds exposure)
{
    Nanoseconds slowest = exposure;
    for (const SensorMode &mode : modes)
        slowest = std::max(slowest, mode.minFrameDuration);
    FrameGrid grid;
    const auto withHeadroom =
        std::chrono::duration<double, std::nano>(slowest) * (1 + kGridHeadroom);
    grid.period = std::chrono::ceil<Microseconds>(withHeadroom);
    for (const SensorMode &mode : modes)
        if (mode.maxFrameDuration > Nanoseconds::zero() && mode.maxFrameDuration < grid.period)
            throw InputError("the cameras cannot share one frame rate: one needs frames of at "
                             "least " +
                             msText(slowest) + ", another allows at most " +
                             msText(mode.maxFrameDuration));
    return grid;
}

} // namespace lockstep
