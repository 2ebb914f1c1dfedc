#include "camera/yuv420_copy.h"

#include <cstring>
#include <string>

#include "util/errors.h"

namespace lockstep
{

namespace
{

/* Rows `rows` of `stride` bytes, the last one only as long as the plane is wide: a pipeline's
 * plane may end right after its last pixel. */
void copyPlane(uint8_t *out, const uint8_t *in, size_t stride, size_t width, size_t rows)
{
    std::memcpy(out, in, stride * (rows - 1) + width);
}

} // namespace

Yuv420Image copyYuv420(const YuvPlanes &planes, unsigned width, unsigned height,
                       YuvEncoding encoding)
{
    const size_t chromaWidth = (size_t(width) + 1) / 2;
    if (planes.yStride == 0 || planes.cStride == 0 || planes.cStep == 0)
        throw RunError("cannot copy a frame without its strides");
    if (planes.cStep == 1) {
        Yuv420Image image(width, height, encoding, planes.yStride, planes.cStride);
        copyPlane(image.y(), planes.y, planes.yStride, width, height);
        copyPlane(image.cb(), planes.cb, planes.cStride, chromaWidth, image.chromaHeight());
        copyPlane(image.cr(), planes.cr, planes.cStride, chromaWidth, image.chromaHeight());
        return image;
    }
    if (planes.cStride < chromaWidth * planes.cStep)
        throw RunError("cannot copy a " + std::to_string(width) + "x" + std::to_string(height) +
                       " frame: its chroma stride " + std::to_string(planes.cStride) +
                       " is narrower than its samples");
    /* Chroma rows half as long as the luma rows, as a planar pipeline lays them out: room for
     * the JPEG encoder's padding past the right edge (image/raw_yuv_jpeg.h). */
    Yuv420Image image(width, height, encoding, planes.yStride, (planes.yStride + 1) / 2);
    copyPlane(image.y(), planes.y, planes.yStride, width, height);
    for (unsigned row = 0; row < image.chromaHeight(); ++row) {
        const uint8_t *cb = planes.cb + row * planes.cStride;
        const uint8_t *cr = planes.cr + row * planes.cStride;
        uint8_t *outCb = image.cbRow(row);
        uint8_t *outCr = image.crRow(row);
        for (size_t x = 0; x < chromaWidth; ++x) {
            outCb[x] = cb[x * planes.cStep];
            outCr[x] = cr[x * planes.cStep];
        }
    }
    return image;
}

} // namespace lockstep
