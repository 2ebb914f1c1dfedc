#include <cstdio>
#include <cstdlib>

#include "camera/camera.h"

namespace lockstep
{

void requireOnInstant(const std::string &camera, Nanos start, Nanos t, Nanos bound)
{
    const Nanos miss = start - t;
    if (std::abs(miss) <= bound)
        return;
    char text[200];
    std::snprintf(text, sizeof(text),
                  "the frame for instant %lld started %.3f ms %s it, more than the bound of %.3f "
                  "ms (max_skew_us): the camera is not on the frame grid",
                  static_cast<long long>(t), std::abs(double(miss)) / 1e6,
                  miss > 0 ? "after" : "before", double(bound) / 1e6);
    throw RunError("camera " + camera + ": " + text);
}

} // namespace lockstep
