#include "image/raw_mosaic.h"

#include <array>
#include <cmath>
#include <string>

#include "image/yuv_to_rgb.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

/* sRGB's decoding curve (IEC 61966-2-1) for the 8-bit values, in [0, 1]. */
std::array<double, 256> srgbToLinear()
{
    std::array<double, 256> table{};
    for (unsigned v = 0; v < table.size(); ++v) {
        const double c = v / 255.0;
        table[v] = c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
    }
    return table;
}

} // namespace

RawImage mosaicFromYuv(const Yuv420Image &image, CfaPattern cfa, unsigned bitDepth,
                       uint16_t blackLevel)
{
    if (image.empty())
        throw RunError("cannot make a mosaic of an empty image");
    if (bitDepth < 1 || bitDepth > 16)
        throw RunError("cannot make a mosaic of " + std::to_string(bitDepth) + " bits");
    RawImage raw;
    raw.width = image.width();
    raw.height = image.height();
    raw.bitDepth = bitDepth;
    raw.cfa = cfa;
    raw.blackLevel = blackLevel;
    if (blackLevel >= raw.whiteLevel())
        throw RunError("cannot make a mosaic: black level " + std::to_string(blackLevel) +
                       " is not below the white level " + std::to_string(raw.whiteLevel()));

    /* The sample for each 8-bit value, computed once. */
    static const std::array<double, 256> linear = srgbToLinear();
    std::array<uint16_t, 256> level{};
    const double span = raw.whiteLevel() - blackLevel;
    for (unsigned v = 0; v < level.size(); ++v)
        level[v] = uint16_t(blackLevel + std::lround(linear[v] * span));

    const Image rgb = toRgb(image);
    raw.samples.resize(size_t(raw.width) * raw.height);
    for (unsigned y = 0; y < raw.height; ++y) {
        uint16_t *out = raw.samples.data() + size_t(y) * raw.width;
        for (unsigned x = 0; x < raw.width; ++x)
            out[x] = level[rgb.pixel(x, y)[cfaColour(cfa, x, y)]];
    }
    return raw;
}

} // namespace lockstep
