/* JPEG through libjpeg-turbo's TurboJPEG API: 4:2:0 chroma subsampling, as cameras and
 * rpicam-apps write it (the encoder itself: jpeg_encoder.cpp). */
#include <memory>
#include <string>

#include <turbojpeg.h>

#include "image/codecs.h"
#include "image/image.h"
#include "image/jpeg_encoder.h"
#include "image/turbojpeg_handle.h"
#include "util/errors.h"

namespace lockstep
{

std::vector<uint8_t> encodeJpeg(const Image &image, int quality)
{
    JpegEncoder encoder;
    const std::span<const uint8_t> jpeg = encoder.encode(image, quality);
    return {jpeg.begin(), jpeg.end()};
}

std::vector<uint8_t> encodeJpeg(const Yuv420Image &image, int quality)
{
    JpegEncoder encoder;
    const std::span<const uint8_t> jpeg = encoder.encode(image, quality);
    return {jpeg.begin(), jpeg.end()};
}

namespace
{

/* The frame header's size, read by an open decompressor. */
ImageSize readJpegHeader(tjhandle handle, std::span<const uint8_t> bytes)
{
    int width = 0;
    int height = 0;
    int subsampling = 0;
    int colorspace = 0;
    if (tjDecompressHeader3(handle, bytes.data(), bytes.size(), &width, &height, &subsampling,
                            &colorspace) != 0)
        throw RunError(std::string("corrupt JPEG: ") + tjGetErrorStr2(handle));
    if (width <= 0 || height <= 0)
        throw RunError("corrupt JPEG: no frame header before the data ends");
    return {unsigned(width), unsigned(height)};
}

} // namespace

ImageSize jpegSize(std::span<const uint8_t> bytes)
{
    TjHandle handle = makeTjHandle(tjInitDecompress(), "decompressor");
    return readJpegHeader(handle.get(), bytes);
}

Image decodeJpeg(std::span<const uint8_t> bytes, unsigned minWidth)
{
    TjHandle handle = makeTjHandle(tjInitDecompress(), "decompressor");
    const ImageSize size = readJpegHeader(handle.get(), bytes);
    checkDecodedSize("JPEG", size.width, size.height);
    int width = int(size.width);
    int height = int(size.height);
    if (minWidth > 0) {
        /* The smallest of libjpeg's DCT scalings (1/8 up to 1) still minWidth wide: the
         * decoder then does a fraction of the work, which is what thumbnails of 12 MP
         * frames need. */
        int count = 0;
        const tjscalingfactor *factors = tjGetScalingFactors(&count);
        for (int i = 0; factors != nullptr && i < count; ++i) {
            const tjscalingfactor f = factors[i];
            if (f.num > f.denom)
                continue;
            const int w = TJSCALED(int(size.width), f);
            if (w >= int(minWidth) && w < width) {
                width = w;
                height = TJSCALED(int(size.height), f);
            }
        }
    }

    Image image{unsigned(width), unsigned(height)};
    /* A truncated or damaged stream is only a warning to libjpeg (it pads with grey): make it
     * an error so a broken file is never taken for a frame. */
    if (tjDecompress2(handle.get(), bytes.data(), bytes.size(), image.rgb.data(), width, 0, height,
                      TJPF_RGB, TJFLAG_STOPONWARNING) != 0)
        throw RunError(std::string("corrupt JPEG: ") + tjGetErrorStr2(handle.get()));
    return image;
}

} // namespace lockstep
