/* Reading the turntable angle back from pixels: the hue ring gives the angle (a chroma-weighted
 * circular mean over thousands of samples, so JPEG noise averages out) and the tick band's
 * remaining contrast gives the motion blur. */
#include <cmath>
#include <complex>
#include <numbers>

#include "camera/sim_scene.h"
#include "camera/turntable_layout.h"

namespace lockstep
{

using namespace turntable;

namespace
{

using Complex = std::complex<double>;

/* Visits pixels on circles between two radii (fractions of the disc radius), keeping clear of
 * the band edges where JPEG's subsampled chroma bleeds across. Calls visit(phi, rgb) with the
 * polar angle of the pixel's centre. */
template <typename Visit>
void sampleBand(const Image &image, RowSpan rows, double begin, double end, Visit visit)
{
    constexpr unsigned kRadii = 5;
    const DiscPlacement disc(image.width, image.height);
    const double margin = (end - begin) * 0.15;
    const double midRadius = disc.radius * (begin + end) / 2;
    /* About one sample per pixel of circumference, at least a sample every half degree. */
    const unsigned angles = std::clamp(unsigned(2 * std::numbers::pi * midRadius), 720u, 8192u);
    for (unsigned j = 0; j < kRadii; ++j) {
        const double r =
            disc.radius * (begin + margin + (end - begin - 2 * margin) * j / (kRadii - 1));
        for (unsigned i = 0; i < angles; ++i) {
            const double a = 2 * std::numbers::pi * i / angles;
            const auto x = long(std::floor(disc.centreX + r * std::cos(a)));
            const auto y = long(std::floor(disc.centreY - r * std::sin(a)));
            if (x < 0 || y < 0 || x >= long(image.width) || y >= long(image.height) ||
                y < long(rows.begin * image.height) || y >= long(rows.end * image.height))
                continue;
            const double phi = std::atan2(disc.centreY - (y + 0.5), x + 0.5 - disc.centreX);
            visit(phi, image.pixel(unsigned(x), unsigned(y)));
        }
    }
}

/* x in [0, 4.4934] with sin(x)/x = k: sinc falls monotonically from 1 to its first minimum,
 * -0.2172 at 4.4934, which is as far as the tick band can measure. */
double inverseSinc(double k)
{
    double low = 0;
    double high = 4.4934;
    for (int i = 0; i < 60; ++i) {
        const double mid = (low + high) / 2;
        if (std::sin(mid) / mid > k)
            low = mid;
        else
            high = mid;
    }
    return (low + high) / 2;
}

} // namespace

AngleEstimate estimateTurntableAngle(const Image &image, double azimuthDeg, bool rotation180,
                                     RowSpan rows)
{
    AngleEstimate estimate;
    if (image.width == 0 || image.height == 0)
        return estimate;
    const double view = degToRad(viewOffsetDeg(0, azimuthDeg, rotation180));

    /* Ring: a pixel at image angle phi shows disc angle phi - view - A with chroma vector
     * c = m e^{i(phi - view - A)}, so conj(c) e^{i(phi - view)} points at A. */
    Complex sum;
    double chromaSum = 0;
    unsigned samples = 0;
    sampleBand(image, rows, kRingBegin, kRimBegin, [&](double phi, const uint8_t *rgb) {
        const Complex chroma(2.0 * rgb[0] - rgb[1] - rgb[2],
                             std::numbers::sqrt3 * (rgb[1] - rgb[2]));
        sum += std::conj(chroma) * std::polar(1.0, phi - view);
        chromaSum += std::abs(chroma);
        ++samples;
    });
    const double fullChroma = 3 * kRingAmplitude;
    /* A disc is there if the ring is coloured, and coloured consistently with one angle. */
    if (samples == 0 || chromaSum / samples < 0.25 * fullChroma || std::abs(sum) < 0.5 * chromaSum)
        return estimate;
    const double angle = std::arg(sum);
    estimate.angleDeg = std::fmod(radToDeg(angle) + 360.0, 360.0);
    estimate.valid = true;

    /* Ticks: grey = mid + a cos(n t), with a scaled by sinc(n w / 2) for a blur over arc w. The
     * sign matters: beyond w = 2 pi / n the pattern comes back inverted. */
    Complex ticks;
    Complex basis;
    double greySum = 0;
    unsigned tickSamples = 0;
    sampleBand(image, rows, kTickBegin, kTickEnd, [&](double phi, const uint8_t *rgb) {
        const double grey = (rgb[0] + rgb[1] + rgb[2]) / 3.0;
        const Complex wave = std::polar(1.0, -double(kTickCycles) * (phi - view - angle));
        ticks += grey * wave;
        basis += wave;
        greySum += grey;
        ++tickSamples;
    });
    if (tickSamples == 0)
        return estimate;
    const Complex amplitude = (ticks - basis * (greySum / tickSamples)) * (2.0 / tickSamples);
    const double contrast = std::abs(amplitude) / kTickAmplitude * (amplitude.real() < 0 ? -1 : 1);
    estimate.spreadDeg = contrast >= 1 ? 0 : radToDeg(2 * inverseSinc(contrast) / kTickCycles);
    return estimate;
}

} // namespace lockstep
