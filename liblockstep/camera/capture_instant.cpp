#include <cstdio>
#include <cstdlib>

#include "camera/camera.h"

namespace lockstep
{

void requireOnInstant(const std::string &camera, RealtimeInstant start, RealtimeInstant t,
                      Nanoseconds bound)
{
    using Ms = std::chrono::duration<double, std::milli>;
    const Nanoseconds miss = start - t;
    if (std::chrono::abs(miss) <= bound)
        return;
    char text[200];
    std::snprintf(text, sizeof(text),
                  "the frame for instant %lld started %.3f ms %s it, more than the bound of %.3f "
                  "ms (max_skew_us): the camera is not on the frame grid",
                  static_cast<long long>(wireNanos(t)), Ms(std::chrono::abs(miss)).count(),
                  miss > Nanoseconds::zero() ? "after" : "before", Ms(bound).count());
    throw RunError("camera " + camera + ": " + text);
}

} // namespace lockstep
