#include "image/yuv420_image.h"

#include <cstring>
#include <string>

#include "util/errors.h"

namespace lockstep
{

Yuv420Image::Yuv420Image(unsigned width, unsigned height, YuvEncoding encoding, size_t yStride,
                         size_t cStride)
    : width_(width), height_(height), encoding_(encoding), yStride_(yStride ? yStride : width),
      cStride_(cStride ? cStride : chromaWidth())
{
    if (width == 0 || height == 0 || yStride_ < width || cStride_ < chromaWidth())
        throw RunError("cannot make a " + std::to_string(width) + "x" + std::to_string(height) +
                       " YUV 4:2:0 image with strides " + std::to_string(yStride_) + " and " +
                       std::to_string(cStride_));
    data_ = PixelBlock(yStride_ * height_ + 2 * cStride_ * chromaHeight());
}

bool samePixels(const Yuv420Image &a, const Yuv420Image &b)
{
    if (a.width() != b.width() || a.height() != b.height() || a.encoding() != b.encoding())
        return false;
    for (unsigned row = 0; row < a.height(); ++row)
        if (std::memcmp(a.yRow(row), b.yRow(row), a.width()) != 0)
            return false;
    for (unsigned row = 0; row < a.chromaHeight(); ++row)
        if (std::memcmp(a.cbRow(row), b.cbRow(row), a.chromaWidth()) != 0 ||
            std::memcmp(a.crRow(row), b.crRow(row), a.chromaWidth()) != 0)
            return false;
    return true;
}

} // namespace lockstep
