/* An 8-bit 4:2:0 Y'CbCr image, as camera pipelines deliver stills and as JPEG stores them: a
 * full-resolution luma plane and two chroma planes of half the width and half the height (rounded
 * up), each plane's rows `stride` bytes apart, with whatever padding the sensor pipeline gave them
 * (nothing is repacked). Half the bytes of the same image in RGB: this is what a camera frame
 * holds from capture until a writer thread has encoded it.
 *
 * The planes live in one block, Y then Cb then Cr; the block is not zeroed when made (every
 * producer writes every byte it shows) and is recycled when the image goes (image/pixel_block.h),
 * so making a 12 MP frame costs no pass over 18 MB and no new pages. */
#pragma once

#include <cstddef>
#include <cstdint>

#include "image/pixel_block.h"

namespace lockstep
{

/* Y'CbCr to R'G'B' coefficients and the range of the samples: the frame's colour space. */
enum class YuvMatrix { Rec601, Rec709 };
enum class YuvRange { Limited, Full };

struct YuvEncoding {
    YuvMatrix matrix = YuvMatrix::Rec601;
    YuvRange range = YuvRange::Full;

    bool operator==(const YuvEncoding &) const = default;
};

/* JPEG's own (JFIF): BT.601 coefficients, full range; libcamera calls it sYCC, and a Raspberry
 * Pi's still pipeline delivers it. Planes in it go into a JPEG as they are. */
constexpr YuvEncoding kJpegYuv{YuvMatrix::Rec601, YuvRange::Full};

class Yuv420Image
{
public:
    Yuv420Image() = default;
    /* Strides of 0 mean rows packed (the plane's width). Throws RunError for an empty size or
     * a stride narrower than its plane. */
    Yuv420Image(unsigned width, unsigned height, YuvEncoding encoding = kJpegYuv,
                size_t yStride = 0, size_t cStride = 0);

    unsigned width() const { return width_; }
    unsigned height() const { return height_; }
    unsigned chromaWidth() const { return (width_ + 1) / 2; }
    unsigned chromaHeight() const { return (height_ + 1) / 2; }
    size_t yStride() const { return yStride_; }
    size_t cStride() const { return cStride_; }
    YuvEncoding encoding() const { return encoding_; }
    bool empty() const { return width_ == 0 || height_ == 0; }
    /* Bytes held, padding included. */
    size_t bytes() const { return data_.size(); }

    uint8_t *y() { return data_.data(); }
    uint8_t *cb() { return data_.data() + cbOffset(); }
    uint8_t *cr() { return data_.data() + crOffset(); }
    const uint8_t *y() const { return data_.data(); }
    const uint8_t *cb() const { return data_.data() + cbOffset(); }
    const uint8_t *cr() const { return data_.data() + crOffset(); }

    uint8_t *yRow(unsigned row) { return y() + row * yStride_; }
    uint8_t *cbRow(unsigned row) { return cb() + row * cStride_; }
    uint8_t *crRow(unsigned row) { return cr() + row * cStride_; }
    const uint8_t *yRow(unsigned row) const { return y() + row * yStride_; }
    const uint8_t *cbRow(unsigned row) const { return cb() + row * cStride_; }
    const uint8_t *crRow(unsigned row) const { return cr() + row * cStride_; }

private:
    size_t cbOffset() const { return yStride_ * height_; }
    size_t crOffset() const { return cbOffset() + cStride_ * chromaHeight(); }

    unsigned width_ = 0;
    unsigned height_ = 0;
    YuvEncoding encoding_;
    size_t yStride_ = 0;
    size_t cStride_ = 0;
    PixelBlock data_;
};

/* Whether two images show the same samples (padding and strides aside). */
bool samePixels(const Yuv420Image &a, const Yuv420Image &b);

} // namespace lockstep
