#include "config/plan.h"

#include <cstdio>

namespace lockstep
{

namespace
{

std::string zeroPadded(unsigned value, int width)
{
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%0*u", width, value);
    return buf;
}

} // namespace

std::string framePath(const std::string &pattern, unsigned position, unsigned frame,
                      const std::string &node, const std::string &camera, ImageFormat format)
{
    std::string out;
    out.reserve(pattern.size() + 32);
    for (std::size_t i = 0; i < pattern.size();) {
        const std::size_t close = pattern[i] == '{' ? pattern.find('}', i) : std::string::npos;
        if (close == std::string::npos) {
            out += pattern[i++];
            continue;
        }
        const std::string name = pattern.substr(i + 1, close - i - 1);
        if (name == "position")
            out += zeroPadded(position, 4);
        else if (name == "frame")
            out += zeroPadded(frame, 2);
        else if (name == "node")
            out += node;
        else if (name == "camera")
            out += camera;
        else
            out += pattern.substr(i, close - i + 1); /* unknown: the loader rejects these */
        i = close + 1;
    }
    out += format == ImageFormat::Jpeg ? ".jpg" : ".png";
    return out;
}

} // namespace lockstep
