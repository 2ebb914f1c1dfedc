/* Rendering the simulated turntable, straight into 4:2:0 YUV in JPEG's colour space, as a
 * Raspberry Pi's still pipeline delivers frames. Per image size, each pixel's polar angle and
 * drawing zone are computed once and cached; every zone's colour at every angle is tabled once
 * as Y'CbCr; a render is then one table lookup per pixel and angle, so a 12 MP frame costs tens
 * of milliseconds rather than millions of atan2 calls. Each chroma sample is the mean of its
 * 2x2 pixels, as libjpeg and an ISP's scaler downsample. */
#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "camera/isp_strides.h"
#include "camera/sim_scene.h"
#include "camera/turntable_layout.h"
#include "util/errors.h"

namespace lockstep
{

using namespace turntable;

namespace
{

enum Zone : uint8_t {
    Background,
    Hub,
    Checker,
    Plain = Checker + kCheckerRings,
    Ticks,
    Ring,
    Rim,
    ZoneCount
};

/* Angles as 16-bit fractions of a turn: subtraction wraps for free. */
constexpr unsigned kAngleSteps = 1u << 16;

double angleOfStep(unsigned step)
{
    return 2 * std::numbers::pi * step / kAngleSteps;
}

uint16_t stepOfDegrees(double deg)
{
    return uint16_t(std::llround(deg / 360.0 * kAngleSteps) & (kAngleSteps - 1));
}

using Rgb = std::array<uint8_t, 3>;

Rgb clampRgb(double r, double g, double b)
{
    auto c = [](double v) { return uint8_t(std::clamp(std::lround(v), 0L, 255L)); };
    return {c(r), c(g), c(b)};
}

/* Colour of a zone at disc angle t (radians). */
Rgb zoneColour(unsigned zone, double t)
{
    if (zone == Background)
        return {120, 120, 120};
    if (zone == Hub)
        return {60, 60, 64};
    if (zone == Plain)
        return {150, 150, 150};
    if (zone == Rim)
        return {35, 35, 38};
    if (zone == Ticks) {
        const double grey = kTickMid + kTickAmplitude * std::cos(kTickCycles * t);
        return clampRgb(grey, grey, grey);
    }
    if (zone == Ring) {
        constexpr double third = 2 * std::numbers::pi / 3;
        return clampRgb(kRingMid + kRingAmplitude * std::cos(t),
                        kRingMid + kRingAmplitude * std::cos(t - third),
                        kRingMid + kRingAmplitude * std::cos(t - 2 * third));
    }
    /* The object: a wooden dartboard-like checkerboard, finer outwards, with one blue marker
     * tile so a person can see the rotation too. */
    static constexpr std::array<unsigned, kCheckerRings> sectors{8, 12, 16, 24};
    const unsigned ring = zone - Checker;
    const auto sector = unsigned(t / (2 * std::numbers::pi) * sectors[ring]) % sectors[ring];
    if (ring == kCheckerRings - 1 && sector == 0)
        return {60, 90, 170};
    const double shade = 0.88 + 0.06 * ((sector * 7 + ring * 3) % 5) / 4.0;
    if ((sector + ring) % 2 == 0)
        return clampRgb(205 * shade, 175 * shade, 125 * shade);
    return clampRgb(95 * shade, 65 * shade, 45 * shade);
}

/* A colour as BT.601 full-range Y'CbCr (JFIF's, what JPEG decoders assume), rounded. */
std::array<uint8_t, 3> toYcc(const Rgb &rgb)
{
    const double r = rgb[0];
    const double g = rgb[1];
    const double b = rgb[2];
    auto c = [](double v) { return uint8_t(std::clamp(std::lround(v), 0L, 255L)); };
    return {c(0.299 * r + 0.587 * g + 0.114 * b), c(128 - 0.168736 * r - 0.331264 * g + 0.5 * b),
            c(128 + 0.5 * r - 0.418688 * g - 0.081312 * b)};
}

/* colours[(zone << 16 | angle step) * 3 ...]: every zone's Y, Cb, Cr at every disc angle. */
const std::vector<uint8_t> &colourTable()
{
    static const std::vector<uint8_t> table = [] {
        std::vector<uint8_t> colours(size_t(ZoneCount) * kAngleSteps * 3);
        for (unsigned zone = 0; zone < ZoneCount; ++zone)
            for (unsigned step = 0; step < kAngleSteps; ++step) {
                const auto ycc = toYcc(zoneColour(zone, angleOfStep(step)));
                std::copy(ycc.begin(), ycc.end(),
                          &colours[(size_t(zone) * kAngleSteps + step) * 3]);
            }
        return colours;
    }();
    return table;
}

unsigned zoneAt(double r)
{
    if (r >= 1.0)
        return Background;
    if (r >= kRimBegin)
        return Rim;
    if (r >= kRingBegin)
        return Ring;
    if (r >= kTickEnd)
        return Plain;
    if (r >= kTickBegin)
        return Ticks;
    if (r >= kCheckerEnd)
        return Plain;
    if (r >= kHubEnd)
        return Checker + unsigned((r - kHubEnd) / (kCheckerEnd - kHubEnd) * kCheckerRings);
    return Hub;
}

/* Each pixel's polar angle (in steps) and zone, for one image size, stored for the top-left
 * quadrant only (a quarter of the memory: 9 MiB at 12 MP, not 35): the disc is centred, so pixel
 * (x, y) mirrored to (width-1-x, y) has the angle pi - phi and (x, height-1-y) has -phi. */
struct PolarMap {
    unsigned width;
    unsigned height;
    unsigned quadrantWidth;
    unsigned quadrantHeight;
    std::vector<uint16_t> angle;
    std::vector<uint8_t> zone;

    PolarMap(unsigned w, unsigned h)
        : width(w), height(h), quadrantWidth((w + 1) / 2), quadrantHeight((h + 1) / 2),
          angle(size_t(quadrantWidth) * quadrantHeight),
          zone(size_t(quadrantWidth) * quadrantHeight)
    {
        const DiscPlacement disc(w, h);
        for (unsigned y = 0; y < quadrantHeight; ++y)
            for (unsigned x = 0; x < quadrantWidth; ++x) {
                const double dx = x + 0.5 - disc.centreX;
                const double dy = disc.centreY - (y + 0.5);
                const size_t i = size_t(y) * quadrantWidth + x;
                zone[i] = uint8_t(zoneAt(std::hypot(dx, dy) / disc.radius));
                if (zone[i] != Background)
                    angle[i] = stepOfDegrees(radToDeg(std::atan2(dy, dx)));
            }
    }
};

/* A pixel's entry in the quadrant and how to turn its angle: the pixel's angle step is
 * bias + sign * stored, in 16-bit arithmetic (a mirror left-right maps phi to pi - phi, top-bottom
 * to -phi, both to pi + phi). */
struct MapEntry {
    size_t index;
    uint16_t bias;
    bool negate;
};

inline MapEntry mapEntry(const PolarMap &map, unsigned x, unsigned y)
{
    const bool right = x >= map.quadrantWidth;
    const bool bottom = y >= map.quadrantHeight;
    const unsigned qx = right ? map.width - 1 - x : x;
    const unsigned qy = bottom ? map.height - 1 - y : y;
    return {size_t(qy) * map.quadrantWidth + qx, uint16_t(right ? kAngleSteps / 2 : 0),
            right != bottom};
}

/* A few recent sizes: a node renders one or two sizes over and over. */
std::shared_ptr<const PolarMap> polarMap(unsigned width, unsigned height)
{
    static std::mutex mutex;
    static std::vector<std::shared_ptr<const PolarMap>> cache;
    constexpr size_t kCachedSizes = 3;

    const std::lock_guard lock(mutex);
    for (const auto &map : cache)
        if (map->width == width && map->height == height)
            return map;
    if (cache.size() == kCachedSizes)
        cache.erase(cache.begin());
    cache.push_back(std::make_shared<const PolarMap>(width, height));
    return cache.back();
}

/* Mild sensor noise on the luma plane, reproducible from the seed: -2..+2 levels (binomial,
 * variance 1), about what the earlier -3..+3 noise on each of R, G and B (variance 2.5) gives Y'
 * (0.45 of it); in chroma that noise nearly vanishes once 2x2 pixels are averaged, so chroma
 * gets none. */
void addNoise(Yuv420Image &image, unsigned seed)
{
    for (unsigned y = 0; y < image.height(); ++y) {
        uint64_t state = (uint64_t(seed) << 32 | y) * 0x9e3779b97f4a7c15ull;
        uint64_t bits = 0;
        unsigned left = 0;
        uint8_t *row = image.yRow(y);
        for (unsigned i = 0; i < image.width(); ++i) {
            if (left == 0) { /* splitmix64 */
                state += 0x9e3779b97f4a7c15ull;
                bits = state;
                bits = (bits ^ (bits >> 30)) * 0xbf58476d1ce4e5b9ull;
                bits = (bits ^ (bits >> 27)) * 0x94d049bb133111ebull;
                bits ^= bits >> 31;
                left = 16;
            }
            const int noise = int(bits & 1) + int((bits >> 1) & 1) + int((bits >> 2) & 1) +
                              int((bits >> 3) & 1) - 2;
            bits >>= 4;
            --left;
            row[i] = uint8_t(std::clamp(row[i] + noise, 0, 255));
        }
    }
}

/* Y, Cb, Cr of pixel (x, y) at the given view offsets (their mean: motion blur). */
inline void pixelYcc(const uint8_t *colours, const PolarMap &map, unsigned x, unsigned y,
                     std::span<const uint16_t> offsets, uint32_t ycc[3])
{
    const MapEntry e = mapEntry(map, x, y);
    const size_t zoneBase = size_t(map.zone[e.index]) << 16;
    const uint16_t stored = map.angle[e.index];
    const auto angle = uint16_t(e.negate ? e.bias - stored : e.bias + stored);
    if (offsets.size() == 1) {
        const uint8_t *c = colours + (zoneBase | uint16_t(angle - offsets[0])) * 3;
        ycc[0] = c[0];
        ycc[1] = c[1];
        ycc[2] = c[2];
        return;
    }
    const auto count = uint32_t(offsets.size());
    uint32_t sum[3] = {count / 2, count / 2, count / 2};
    for (const uint16_t offset : offsets) {
        const uint8_t *c = colours + (zoneBase | uint16_t(angle - offset)) * 3;
        sum[0] += c[0];
        sum[1] += c[1];
        sum[2] += c[2];
    }
    ycc[0] = sum[0] / count;
    ycc[1] = sum[1] / count;
    ycc[2] = sum[2] / count;
}

/* Draws chroma row cy and its (one or two) luma rows; rowOffsets(row) gives a row's view
 * offsets. cbSum and crSum: scratch of the chroma width. */
template <typename RowOffsets>
void drawRowPair(const PolarMap &map, unsigned cy, RowOffsets rowOffsets, Yuv420Image &out,
                 std::vector<uint32_t> &cbSum, std::vector<uint32_t> &crSum)
{
    const uint8_t *colours = colourTable().data();
    const unsigned width = map.width;
    std::fill(cbSum.begin(), cbSum.end(), 0);
    std::fill(crSum.begin(), crSum.end(), 0);
    const unsigned firstRow = 2 * cy;
    const unsigned endRow = std::min(firstRow + 2, map.height);
    for (unsigned row = firstRow; row < endRow; ++row) {
        const std::span<const uint16_t> offsets = rowOffsets(row);
        uint8_t *luma = out.yRow(row);
        uint32_t ycc[3];
        for (unsigned x = 0; x < width; ++x) {
            pixelYcc(colours, map, x, row, offsets, ycc);
            luma[x] = uint8_t(ycc[0]);
            cbSum[x / 2] += ycc[1];
            crSum[x / 2] += ycc[2];
        }
    }
    uint8_t *cb = out.cbRow(cy);
    uint8_t *cr = out.crRow(cy);
    const unsigned rows = endRow - firstRow; /* 1 or 2: cy is a chroma row of the image */
    if (rows == 0)
        return;
    for (unsigned cx = 0; cx < out.chromaWidth(); ++cx) {
        const uint32_t n = rows * (2 * cx + 1 < width ? 2 : 1);
        cb[cx] = uint8_t((cbSum[cx] + n / 2) / n);
        cr[cx] = uint8_t((crSum[cx] + n / 2) / n);
    }
}

} // namespace

Yuv420Image renderTurntableBands(unsigned width, unsigned height,
                                 std::span<const std::vector<double>> bandAnglesDeg,
                                 double azimuthDeg, bool rotation180, unsigned noiseSeed)
{
    const bool anyEmpty = std::any_of(bandAnglesDeg.begin(), bandAnglesDeg.end(),
                                      [](const std::vector<double> &a) { return a.empty(); });
    if (width == 0 || height == 0 || bandAnglesDeg.empty() || anyEmpty ||
        bandAnglesDeg.size() > height)
        throw RunError("cannot render a " + std::to_string(width) + "x" + std::to_string(height) +
                       " turntable frame from " + std::to_string(bandAnglesDeg.size()) +
                       " row bands with angles");

    const std::shared_ptr<const PolarMap> map = polarMap(width, height);
    Yuv420Image image(width, height, kJpegYuv, ispLumaStride(width), ispChromaStride(width));
    /* Band b covers rows [b * height / bands, (b + 1) * height / bands). */
    const size_t bands = bandAnglesDeg.size();
    std::vector<std::vector<uint16_t>> offsets(bands);
    std::vector<uint32_t> bandOfRow(height);
    for (size_t b = 0; b < bands; ++b) {
        for (const double angle : bandAnglesDeg[b])
            offsets[b].push_back(stepOfDegrees(viewOffsetDeg(angle, azimuthDeg, rotation180)));
        for (size_t row = b * height / bands; row < (b + 1) * height / bands; ++row)
            bandOfRow[row] = uint32_t(b);
    }
    const auto rowOffsets = [&](unsigned row) {
        return std::span<const uint16_t>(offsets[bandOfRow[row]]);
    };
    std::vector<uint32_t> cbSum(image.chromaWidth());
    std::vector<uint32_t> crSum(image.chromaWidth());
    for (unsigned cy = 0; cy < image.chromaHeight(); ++cy)
        drawRowPair(*map, cy, rowOffsets, image, cbSum, crSum);
    if (noiseSeed != 0)
        addNoise(image, noiseSeed);
    return image;
}

Yuv420Image renderTurntable(unsigned width, unsigned height, std::span<const double> anglesDeg,
                            double azimuthDeg, bool rotation180, unsigned noiseSeed)
{
    const std::vector<double> band(anglesDeg.begin(), anglesDeg.end());
    return renderTurntableBands(width, height, std::span(&band, 1), azimuthDeg, rotation180,
                                noiseSeed);
}

} // namespace lockstep
