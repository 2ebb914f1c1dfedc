#include "camera/yuv_to_rgb.h"

#include <algorithm>

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

Coefficients coefficientsFor(YuvMatrix matrix, YuvRange range)
{
    /* Kr, Kb: 0.299, 0.114 (BT.601); 0.2126, 0.0722 (BT.709). Limited range scales Y from
     * 16..235 and Cb, Cr from 16..240 to full swing. */
    const double kr = matrix == YuvMatrix::Rec601 ? 0.299 : 0.2126;
    const double kb = matrix == YuvMatrix::Rec601 ? 0.114 : 0.0722;
    const double kg = 1.0 - kr - kb;
    const bool limited = range == YuvRange::Limited;
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

void yuv420ToRgb(const YuvPlanes &planes, YuvMatrix matrix, YuvRange range, Image &image)
{
    const Coefficients c = coefficientsFor(matrix, range);
    for (unsigned row = 0; row < image.height; ++row) {
        const uint8_t *y = planes.y + size_t(row) * planes.yStride;
        const uint8_t *cb = planes.cb + size_t(row / 2) * planes.cStride;
        const uint8_t *cr = planes.cr + size_t(row / 2) * planes.cStride;
        uint8_t *out = image.pixel(0, row);
        for (unsigned x = 0; x < image.width; ++x, out += 3) {
            const int luma = (int(y[x]) - c.yOffset) * c.yScale;
            const size_t ci = size_t(x / 2) * planes.cStep;
            const int u = int(cb[ci]) - 128;
            const int v = int(cr[ci]) - 128;
            out[0] = clampByte((luma + c.crToR * v + 32768) >> 16);
            out[1] = clampByte((luma + c.cbToG * u + c.crToG * v + 32768) >> 16);
            out[2] = clampByte((luma + c.cbToB * u + 32768) >> 16);
        }
    }
}

} // namespace lockstep
