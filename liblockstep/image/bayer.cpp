#include "image/bayer.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "util/errors.h"

namespace lockstep
{

namespace
{

constexpr double kGamma = 2.2;

/* Site i of a row (column) of n sites, or the one of its colour before it. */
unsigned inside(unsigned i, unsigned n)
{
    if (i < n)
        return i;
    return i >= 2 ? i - 2 : n - 1;
}

uint8_t clampByte(double v)
{
    return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
}

} // namespace

RawImage bayerFromYuv(const Yuv420Image &yuv, CfaPattern cfa, unsigned bitDepth,
                      uint16_t blackLevel)
{
    if (yuv.empty())
        throw RunError("bayerFromYuv: empty image");
    if (yuv.encoding() != kJpegYuv)
        throw RunError("bayerFromYuv: only JPEG's Y'CbCr (BT.601, full range) is supported");
    if (bitDepth < 8 || bitDepth > 16)
        throw RunError("bayerFromYuv: " + std::to_string(bitDepth) + "-bit samples");
    RawImage raw;
    raw.width = yuv.width();
    raw.height = yuv.height();
    raw.bitDepth = bitDepth;
    raw.cfa = cfa;
    raw.blackLevel = blackLevel;
    if (blackLevel >= raw.whiteLevel())
        throw RunError("bayerFromYuv: black level " + std::to_string(blackLevel) +
                       " at or above the white level");
    /* A gamma-encoded byte to its linear sample, once per value rather than per pixel. */
    std::array<uint16_t, 256> linear{};
    const double span = raw.whiteLevel() - blackLevel;
    for (unsigned v = 0; v < 256; ++v)
        linear[v] =
            static_cast<uint16_t>(blackLevel + std::lround(std::pow(v / 255.0, kGamma) * span));
    raw.samples.resize(size_t(raw.width) * raw.height);
    for (unsigned y = 0; y < raw.height; ++y) {
        const uint8_t *luma = yuv.yRow(y);
        const uint8_t *cb = yuv.cbRow(y / 2);
        const uint8_t *cr = yuv.crRow(y / 2);
        uint16_t *out = &raw.samples[size_t(y) * raw.width];
        for (unsigned x = 0; x < raw.width; ++x) {
            const unsigned chroma = x / 2; /* 4:2:0: one chroma sample per two columns */
            const double l = luma[x];
            const double b = cb[chroma] - 128.0;
            const double r = cr[chroma] - 128.0;
            double value = 0;
            switch (cfaColour(cfa, x, y)) {
            case 0:
                value = l + 1.402 * r;
                break;
            case 1:
                value = l - 0.344136 * b - 0.714136 * r;
                break;
            default:
                value = l + 1.772 * b;
                break;
            }
            out[x] = linear[clampByte(value)];
        }
    }
    return raw;
}

Image rgbFromBayer(const RawImage &raw)
{
    if (raw.empty() || raw.samples.size() != size_t(raw.width) * raw.height)
        throw RunError("rgbFromBayer: empty or inconsistent mosaic");
    const double span = std::max(1, raw.whiteLevel() - raw.blackLevel);
    const auto encode = [&](double sample) {
        const double v = std::clamp((sample - raw.blackLevel) / span, 0.0, 1.0);
        return clampByte(std::pow(v, 1.0 / kGamma) * 255.0);
    };
    Image image(raw.width, raw.height);
    for (unsigned cy = 0; cy < raw.height; cy += 2) {
        for (unsigned cx = 0; cx < raw.width; cx += 2) {
            /* A cell cut by an odd edge borrows each missing site from the site of its
             * colour two columns (rows) before. */
            std::array<double, 3> sum{};
            std::array<unsigned, 3> count{};
            for (unsigned dy = 0; dy < 2; ++dy) {
                for (unsigned dx = 0; dx < 2; ++dx) {
                    const unsigned x = inside(cx + dx, raw.width);
                    const unsigned y = inside(cy + dy, raw.height);
                    const unsigned c = cfaColour(raw.cfa, cx + dx, cy + dy);
                    sum[c] += raw.samples[size_t(y) * raw.width + x];
                    ++count[c];
                }
            }
            const std::array<uint8_t, 3> rgb{encode(sum[0] / count[0]), encode(sum[1] / count[1]),
                                             encode(sum[2] / count[2])};
            for (unsigned y = cy; y < std::min(cy + 2, raw.height); ++y)
                for (unsigned x = cx; x < std::min(cx + 2, raw.width); ++x)
                    std::copy(rgb.begin(), rgb.end(), image.pixel(x, y));
        }
    }
    return image;
}

} // namespace lockstep
