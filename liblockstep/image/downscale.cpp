/* Box-filter downscaling: each output pixel is the mean of the source pixels it covers. */
#include <algorithm>
#include <string>
#include <vector>

#include "image/codecs.h"
#include "image/image.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

/* Source index ranges [begin[i], begin[i+1]) covered by each of `out` output pixels; never
 * empty, so an "upscale" degrades to pixel replication rather than failing. */
std::vector<unsigned> boxBounds(unsigned in, unsigned out)
{
    std::vector<unsigned> bounds(out + 1);
    for (unsigned i = 0; i <= out; ++i)
        bounds[i] = unsigned(uint64_t(i) * in / out);
    return bounds;
}

} // namespace

Image downscale(const Image &image, unsigned width, unsigned height)
{
    checkImageShape(image, "downscale");
    if (width == 0 || height == 0)
        throw RunError("cannot downscale to " + std::to_string(width) + "x" +
                       std::to_string(height));

    const std::vector<unsigned> xs = boxBounds(image.width, width);
    const std::vector<unsigned> ys = boxBounds(image.height, height);
    Image out(width, height);
    std::vector<uint64_t> sums(size_t(width) * 3);

    for (unsigned oy = 0; oy < height; ++oy) {
        const unsigned y0 = ys[oy];
        const unsigned y1 = std::max(ys[oy + 1], y0 + 1);
        std::fill(sums.begin(), sums.end(), 0);
        for (unsigned y = y0; y < y1; ++y) {
            for (unsigned ox = 0; ox < width; ++ox) {
                const unsigned x0 = xs[ox];
                const unsigned x1 = std::max(xs[ox + 1], x0 + 1);
                uint64_t *sum = &sums[size_t(ox) * 3];
                for (unsigned x = x0; x < x1; ++x) {
                    const uint8_t *p = image.pixel(x, y);
                    sum[0] += p[0];
                    sum[1] += p[1];
                    sum[2] += p[2];
                }
            }
        }
        for (unsigned ox = 0; ox < width; ++ox) {
            const uint64_t count = uint64_t(std::max(xs[ox + 1], xs[ox] + 1) - xs[ox]) * (y1 - y0);
            const uint64_t *sum = &sums[size_t(ox) * 3];
            uint8_t *q = out.pixel(ox, oy);
            for (unsigned c = 0; c < 3; ++c)
                q[c] = uint8_t((sum[c] + count / 2) / count);
        }
    }
    return out;
}

} // namespace lockstep
