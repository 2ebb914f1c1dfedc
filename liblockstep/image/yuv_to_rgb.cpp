#include "image/yuv_to_rgb.h"

#include <algorithm>

#include "util/errors.h"

namespace lockstep
{

namespace
{

uint8_t clampByte(int v)
{
    return uint8_t(std::clamp(v, 0, 255));
}

/* Fixed-point (x 2^16) conversion coefficients. */
struct Coefficients {
    int yScale;
    int yOffset;
    int crToR;
    int cbToG;
    int crToG;
    int cbToB;
};

Coefficients coefficientsFor(YuvEncoding encoding)
{
    /* Kr, Kb: 0.299, 0.114 (BT.601); 0.2126, 0.0722 (BT.709). Limited range scales Y from
     * 16..235 and Cb, Cr from 16..240 to full swing. */
    const bool rec601 = encoding.matrix == YuvMatrix::Rec601;
    const double kr = rec601 ? 0.299 : 0.2126;
    const double kb = rec601 ? 0.114 : 0.0722;
    const double kg = 1.0 - kr - kb;
    const bool limited = encoding.range == YuvRange::Limited;
    const double yScale = limited ? 255.0 / 219.0 : 1.0;
    const double cScale = limited ? 255.0 / 224.0 : 1.0;
    const auto fixed = [](double v) { return int(v * 65536.0 + (v < 0 ? -0.5 : 0.5)); };
    return {
        fixed(yScale),
        limited ? 16 : 0,
        fixed(2.0 * (1.0 - kr) * cScale),
        fixed(-2.0 * (1.0 - kb) * kb / kg * cScale),
        fixed(-2.0 * (1.0 - kr) * kr / kg * cScale),
        fixed(2.0 * (1.0 - kb) * cScale),
    };
}

} // namespace

Image toRgb(const Yuv420Image &yuv)
{
    if (yuv.empty())
        throw RunError("cannot convert an empty YUV image to RGB");
    const Coefficients c = coefficientsFor(yuv.encoding());
    Image image(yuv.width(), yuv.height());
    for (unsigned row = 0; row < yuv.height(); ++row) {
        const uint8_t *y = yuv.yRow(row);
        const uint8_t *cb = yuv.cbRow(row / 2);
        const uint8_t *cr = yuv.crRow(row / 2);
        uint8_t *out = image.pixel(0, row);
        for (unsigned x = 0; x < yuv.width(); ++x, out += 3) {
            const int luma = (int(y[x]) - c.yOffset) * c.yScale;
            const int u = int(cb[x / 2]) - 128;
            const int v = int(cr[x / 2]) - 128;
            out[0] = clampByte((luma + c.crToR * v + 32768) >> 16);
            out[1] = clampByte((luma + c.cbToG * u + c.crToG * v + 32768) >> 16);
            out[2] = clampByte((luma + c.cbToB * u + 32768) >> 16);
        }
    }
    return image;
}

} // namespace lockstep
