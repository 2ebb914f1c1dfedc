#include "image/jpeg_encoder.h"

#include <array>
#include <memory>
#include <string>

#include <turbojpeg.h>

#include "image/codecs.h"
#include "image/raw_yuv_jpeg.h"
#include "image/turbojpeg_handle.h"
#include "image/yuv_to_rgb.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

void checkQuality(int quality)
{
    if (quality < 1 || quality > 100)
        throw RunError("cannot encode JPEG: quality " + std::to_string(quality) +
                       " is outside 1..100");
}

} // namespace

struct TjBufferDeleter {
    void operator()(unsigned char *buffer) const { tjFree(buffer); }
};

struct JpegEncoder::State {
    TjHandle handle = makeTjHandle(tjInitCompress(), "compressor");
    std::unique_ptr<unsigned char, TjBufferDeleter> buffer; /* tjAlloc'd */
    unsigned long capacity = 0;
    std::unique_ptr<RawYuvJpeg> raw; /* made at the first frame that fits it */

    /* Room for the worst case of a width x height 4:2:0 JPEG. */
    void reserve(unsigned width, unsigned height)
    {
        const unsigned long needed = tjBufSize(int(width), int(height), TJSAMP_420);
        if (needed == static_cast<unsigned long>(-1))
            throw RunError("cannot encode JPEG: " + std::to_string(width) + "x" +
                           std::to_string(height) + " is too large");
        if (needed <= capacity)
            return;
        buffer.reset();
        capacity = 0;
        buffer.reset(tjAlloc(int(needed)));
        if (!buffer)
            throw RunError("cannot encode JPEG: out of memory for the output buffer");
        capacity = needed;
    }

    std::span<const uint8_t> result(int rc, unsigned long size) const
    {
        if (rc != 0)
            throw RunError(std::string("cannot encode JPEG: ") + tjGetErrorStr2(handle.get()));
        return {buffer.get(), size_t(size)};
    }
};

JpegEncoder::JpegEncoder() : state_(std::make_unique<State>()) {}

JpegEncoder::~JpegEncoder() = default;

std::span<const uint8_t> JpegEncoder::encode(const Yuv420Image &image, int quality)
{
    if (image.empty())
        throw RunError("cannot encode JPEG: empty image");
    checkQuality(quality);
    if (image.encoding() != kJpegYuv)
        return encode(toRgb(image), quality);
    state_->reserve(image.width(), image.height());
    std::array<const unsigned char *, 3> planes{image.y(), image.cb(), image.cr()};
    const std::array<int, 3> strides{int(image.yStride()), int(image.cStride()),
                                     int(image.cStride())};
    unsigned long size = state_->capacity;
    unsigned char *out = state_->buffer.get(); /* TJFLAG_NOREALLOC: TurboJPEG keeps it */
    const int rc = tjCompressFromYUVPlanes(state_->handle.get(), planes.data(), int(image.width()),
                                           strides.data(), int(image.height()), TJSAMP_420, &out,
                                           &size, quality, TJFLAG_NOREALLOC);
    return state_->result(rc, size);
}

std::span<const uint8_t> JpegEncoder::encodeFrame(Yuv420Image &frame, int quality)
{
    if (!RawYuvJpeg::fits(frame))
        return encode(frame, quality);
    if (!state_->raw)
        state_->raw = std::make_unique<RawYuvJpeg>();
    return state_->raw->compress(frame, quality);
}

std::span<const uint8_t> JpegEncoder::encode(const Image &image, int quality)
{
    checkImageShape(image, "encode JPEG");
    checkQuality(quality);
    state_->reserve(image.width, image.height);
    unsigned long size = state_->capacity;
    unsigned char *out = state_->buffer.get(); /* TJFLAG_NOREALLOC: TurboJPEG keeps it */
    const int rc =
        tjCompress2(state_->handle.get(), image.rgb.data(), int(image.width), 0, int(image.height),
                    TJPF_RGB, &out, &size, TJSAMP_420, quality, TJFLAG_NOREALLOC);
    return state_->result(rc, size);
}

} // namespace lockstep
