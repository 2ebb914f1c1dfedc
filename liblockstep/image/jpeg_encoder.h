/* JPEG compressors and their output buffers, kept for many frames: one per writer thread, as
 * tjbench keeps its own. A TurboJPEG buffer is allocated once at the worst-case size of the
 * largest frame seen (tjBufSize) and TurboJPEG is told never to reallocate it, so a frame costs no
 * allocation and no copy of its result; only the pages the JPEG fills are ever touched.
 *
 * 4:2:0 YUV in JPEG's own colour space (kJpegYuv: a Raspberry Pi's stills) is compressed from
 * its planes as they are, no colour conversion, as rpicam-apps does: a camera's frame by
 * encodeFrame() through libjpeg's raw-data interface (image/raw_yuv_jpeg.h: no copy of the
 * planes), a const image by TurboJPEG (tjCompressFromYUVPlanes, which copies the planes when
 * their width is not whole blocks); both give the same file. Planes in another colour space
 * (video range, BT.709: libcamera's virtual pipeline) go through RGB once so the file's colours
 * are right; RGB images are compressed to 4:2:0 as well. */
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "image/image.h"
#include "image/yuv420_image.h"

namespace lockstep
{

class JpegEncoder
{
public:
    /* Throws RunError if TurboJPEG cannot make a compressor. */
    JpegEncoder();
    ~JpegEncoder();
    JpegEncoder(const JpegEncoder &) = delete;
    JpegEncoder &operator=(const JpegEncoder &) = delete;

    /* The JPEG, valid until the next encode() or the encoder's end. Throws RunError for an
     * empty image or a quality outside 1..100. */
    std::span<const uint8_t> encode(const Yuv420Image &image, int quality);
    std::span<const uint8_t> encode(const Image &image, int quality);
    /* A frame this thread owns: the same JPEG as encode(), with no copy of its planes when
     * their rows have room for the blocks' padding (RawYuvJpeg::fits), which it writes. */
    std::span<const uint8_t> encodeFrame(Yuv420Image &frame, int quality);

private:
    struct State;
    std::unique_ptr<State> state_;
};

/* One frame with an encoder of its own, copied out (tests, one-off files); a thread that encodes
 * many keeps a JpegEncoder. Throws RunError. */
std::vector<uint8_t> encodeJpeg(const Yuv420Image &image, int quality);

} // namespace lockstep
