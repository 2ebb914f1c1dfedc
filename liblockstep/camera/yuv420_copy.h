/* Copying a 4:2:0 frame out of the buffer the sensor pipeline filled (which goes back to the
 * sensor right after) into a frame of lockstep's own. YUV420 (three planes, a Raspberry Pi ISP's
 * still format) is copied plane by plane with the pipeline's strides, padding and all: one
 * memcpy per plane, no repacking. NV12 (the Cb,Cr pairs interleaved in one plane: all that
 * libcamera's virtual pipeline offers) has its chroma deinterleaved into two planes once, here,
 * since JPEG and everything after it take planar chroma. */
#pragma once

#include <cstddef>
#include <cstdint>

#include "image/yuv420_image.h"

namespace lockstep
{

/* Where a 4:2:0 frame's planes lie in a buffer the pipeline owns. */
struct YuvPlanes {
    const uint8_t *y = nullptr;
    const uint8_t *cb = nullptr;
    const uint8_t *cr = nullptr; /* NV12: cb + 1 */
    size_t yStride = 0;
    size_t cStride = 0;
    /* Distance between neighbouring Cb (and Cr) samples: 2 for NV12, 1 for planar YUV420. */
    size_t cStep = 1;
};

/* The frame, width x height, in a buffer of its own. Throws RunError for an empty size or
 * strides narrower than the planes. */
Yuv420Image copyYuv420(const YuvPlanes &planes, unsigned width, unsigned height,
                       YuvEncoding encoding);

} // namespace lockstep
