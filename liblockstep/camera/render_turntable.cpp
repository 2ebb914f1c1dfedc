/* Rendering the simulated turntable. Per image size, each pixel's polar angle and drawing zone
 * are computed once and cached; a render is then one table lookup per pixel and angle, so a
 * 12 MP frame costs tens of milliseconds rather than millions of atan2 calls. */
#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

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

/* colours[(zone << 16 | angle step) * 3 ...]: every zone's colour at every disc angle. */
const std::vector<uint8_t> &colourTable()
{
    static const std::vector<uint8_t> table = [] {
        std::vector<uint8_t> colours(size_t(ZoneCount) * kAngleSteps * 3);
        for (unsigned zone = 0; zone < ZoneCount; ++zone)
            for (unsigned step = 0; step < kAngleSteps; ++step) {
                const Rgb rgb = zoneColour(zone, angleOfStep(step));
                std::copy(rgb.begin(), rgb.end(),
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

/* Each pixel's polar angle (in steps) and zone, for one image size. */
struct PolarMap {
    unsigned width;
    unsigned height;
    std::vector<uint16_t> angle;
    std::vector<uint8_t> zone;

    PolarMap(unsigned w, unsigned h)
        : width(w), height(h), angle(size_t(w) * h), zone(size_t(w) * h)
    {
        const DiscPlacement disc(w, h);
        for (unsigned y = 0; y < h; ++y)
            for (unsigned x = 0; x < w; ++x) {
                const double dx = x + 0.5 - disc.centreX;
                const double dy = disc.centreY - (y + 0.5);
                const size_t i = size_t(y) * w + x;
                zone[i] = uint8_t(zoneAt(std::hypot(dx, dy) / disc.radius));
                if (zone[i] != Background)
                    angle[i] = stepOfDegrees(radToDeg(std::atan2(dy, dx)));
            }
    }
};

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

/* Mild sensor noise: triangular, -3..+3 levels, reproducible from the seed. */
void addNoise(Image &image, unsigned seed)
{
    for (unsigned y = 0; y < image.height; ++y) {
        uint64_t state = (uint64_t(seed) << 32 | y) * 0x9e3779b97f4a7c15ull;
        uint64_t bits = 0;
        unsigned left = 0;
        uint8_t *row = image.pixel(0, y);
        for (size_t i = 0; i < size_t(image.width) * 3; ++i) {
            if (left == 0) { /* splitmix64 */
                state += 0x9e3779b97f4a7c15ull;
                bits = state;
                bits = (bits ^ (bits >> 30)) * 0xbf58476d1ce4e5b9ull;
                bits = (bits ^ (bits >> 27)) * 0x94d049bb133111ebull;
                bits ^= bits >> 31;
                left = 16;
            }
            const int noise = int(bits & 3) + int((bits >> 2) & 3) - 3;
            bits >>= 4;
            --left;
            row[i] = uint8_t(std::clamp(row[i] + noise, 0, 255));
        }
    }
}

/* Draws pixels [begin, end) of the image at the given view offsets (their mean: motion blur). */
void drawPixels(const PolarMap &map, std::span<const uint16_t> offsets, size_t begin, size_t end,
                uint8_t *out)
{
    const uint8_t *colours = colourTable().data();
    if (offsets.size() == 1) {
        const uint16_t offset = offsets[0];
        for (size_t i = begin; i < end; ++i) {
            const uint8_t *c =
                colours + (size_t(map.zone[i]) << 16 | uint16_t(map.angle[i] - offset)) * 3;
            out[i * 3] = c[0];
            out[i * 3 + 1] = c[1];
            out[i * 3 + 2] = c[2];
        }
        return;
    }
    const auto count = uint32_t(offsets.size());
    for (size_t i = begin; i < end; ++i) {
        uint32_t sum[3] = {count / 2, count / 2, count / 2};
        const size_t zoneBase = size_t(map.zone[i]) << 16;
        for (const uint16_t offset : offsets) {
            const uint8_t *c = colours + (zoneBase | uint16_t(map.angle[i] - offset)) * 3;
            sum[0] += c[0];
            sum[1] += c[1];
            sum[2] += c[2];
        }
        out[i * 3] = uint8_t(sum[0] / count);
        out[i * 3 + 1] = uint8_t(sum[1] / count);
        out[i * 3 + 2] = uint8_t(sum[2] / count);
    }
}

} // namespace

Image renderTurntableBands(unsigned width, unsigned height,
                           std::span<const std::vector<double>> bandAnglesDeg, double azimuthDeg,
                           bool rotation180, unsigned noiseSeed)
{
    const bool anyEmpty = std::any_of(bandAnglesDeg.begin(), bandAnglesDeg.end(),
                                      [](const std::vector<double> &a) { return a.empty(); });
    if (width == 0 || height == 0 || bandAnglesDeg.empty() || anyEmpty ||
        bandAnglesDeg.size() > height)
        throw RunError("cannot render a " + std::to_string(width) + "x" + std::to_string(height) +
                       " turntable frame from " + std::to_string(bandAnglesDeg.size()) +
                       " row bands with angles");

    const std::shared_ptr<const PolarMap> map = polarMap(width, height);
    Image image(width, height);
    const size_t bands = bandAnglesDeg.size();
    std::vector<uint16_t> offsets;
    for (size_t b = 0; b < bands; ++b) {
        offsets.clear();
        for (const double angle : bandAnglesDeg[b])
            offsets.push_back(stepOfDegrees(viewOffsetDeg(angle, azimuthDeg, rotation180)));
        const size_t firstRow = b * height / bands;
        const size_t endRow = (b + 1) * height / bands;
        drawPixels(*map, offsets, firstRow * width, endRow * width, image.rgb.data());
    }
    if (noiseSeed != 0)
        addNoise(image, noiseSeed);
    return image;
}

Image renderTurntable(unsigned width, unsigned height, std::span<const double> anglesDeg,
                      double azimuthDeg, bool rotation180, unsigned noiseSeed)
{
    const std::vector<double> band(anglesDeg.begin(), anglesDeg.end());
    return renderTurntableBands(width, height, std::span(&band, 1), azimuthDeg, rotation180,
                                noiseSeed);
}

} // namespace lockstep
