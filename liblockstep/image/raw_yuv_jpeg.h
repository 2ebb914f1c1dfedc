/* JPEG from 4:2:0 planes through libjpeg's raw-data interface, as rpicam-apps compresses its
 * stills: libjpeg reads the rows where the camera left them, no copy of the frame.
 *
 * Why not TurboJPEG's tjCompressFromYUVPlanes, which does the same from the same planes: JPEG
 * codes whole 8x8 blocks, so each plane's rows are read to a multiple of 8 samples. When a plane
 * is narrower than that (the HQ camera's 4056 columns give chroma rows of 2028, blocks of 2032),
 * TurboJPEG copies every row of every plane into a buffer of its own to pad them: 18 MB per
 * 12 MP frame, 6% of the encoding time. Here the padding goes into each row's stride instead,
 * which a camera's planes have (rows aligned to 32 or 64 bytes): the samples past the right edge
 * are set to the edge sample, as TurboJPEG pads, and rows past the bottom repeat the last row.
 * The result is the same file, byte for byte, with the same settings (TurboJPEG's defaults:
 * JFIF, Huffman tables not optimised, the fast integer DCT below quality 96). */
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "image/yuv420_image.h"

namespace lockstep
{

class RawYuvJpeg
{
public:
    RawYuvJpeg();
    ~RawYuvJpeg();
    RawYuvJpeg(const RawYuvJpeg &) = delete;
    RawYuvJpeg &operator=(const RawYuvJpeg &) = delete;

    /* Whether `image`'s rows have room for the padding of its blocks (each stride at least its
     * plane's width rounded up to whole blocks) and its samples are in JPEG's own colour space
     * (kJpegYuv). */
    static bool fits(const Yuv420Image &image);

    /* The JPEG, valid until the next compress() or the end of this object. Writes the padding
     * of `image`'s rows (never a sample of the picture). Throws RunError if the image does not
     * fit() or libjpeg fails; the object stays usable. */
    std::span<const uint8_t> compress(Yuv420Image &image, int quality);

private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace lockstep
