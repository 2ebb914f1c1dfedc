#include "config/output_pattern.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <string_view>

#include "config/plan.h"

namespace lockstep
{

namespace
{

constexpr std::array<std::string_view, 4> kPlaceholders = {"position", "frame", "node", "camera"};

std::string zeroPadded(unsigned value, int width)
{
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%0*u", width, value);
    return buf;
}

} // namespace

const char *fileExtension(ImageFormat format)
{
    switch (format) {
    case ImageFormat::Jpeg:
        return ".jpg";
    case ImageFormat::Png:
        return ".png";
    case ImageFormat::Dng:
        return ".dng";
    }
    return "";
}

std::optional<ImageFormat> formatOfFile(const std::string &path)
{
    for (const ImageFormat format : {ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Dng})
        if (path.ends_with(fileExtension(format)))
            return format;
    return std::nullopt;
}

bool CaptureSettings::writes(ImageFormat format) const
{
    return std::find(formats.begin(), formats.end(), format) != formats.end();
}

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
        const std::string_view name = std::string_view(pattern).substr(i + 1, close - i - 1);
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
    out += fileExtension(format);
    return out;
}

std::vector<std::string> config::outputPatternProblems(const std::string &pattern)
{
    std::vector<std::string> problems;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '}') {
            problems.push_back("unmatched '}' at offset " + std::to_string(i) + " of the pattern");
            continue;
        }
        if (pattern[i] != '{')
            continue;
        const std::size_t close = pattern.find_first_of("{}", i + 1);
        if (close == std::string::npos || pattern[close] != '}') {
            problems.push_back("unclosed '{' at offset " + std::to_string(i) + " of the pattern");
            continue;
        }
        const std::string_view name = std::string_view(pattern).substr(i + 1, close - i - 1);
        if (std::find(kPlaceholders.begin(), kPlaceholders.end(), name) == kPlaceholders.end())
            problems.push_back("unknown placeholder '{" + std::string(name) +
                               "}' (allowed: {position}, {frame}, {node}, {camera})");
        i = close;
    }
    std::size_t start = 0;
    while (start <= pattern.size()) {
        const std::size_t slash = std::min(pattern.find('/', start), pattern.size());
        const std::string_view part = std::string_view(pattern).substr(start, slash - start);
        if (part.empty() || part == "." || part == "..") {
            problems.push_back("the pattern must be a relative path without empty, '.' or '..' "
                               "parts");
            break;
        }
        start = slash + 1;
    }
    return problems;
}

} // namespace lockstep
