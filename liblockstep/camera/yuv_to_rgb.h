/* 8-bit 4:2:0 YUV frames (NV12: Y plane, then interleaved Cb,Cr; YUV420: Y, Cb, Cr planes) to
 * the RGB Image the rest of lockstep uses. libcamera pipelines often offer only these (the virtual
 * pipeline only NV12; a Pi's ISP YUV420 natively). A later step keeps YUV end to end (JPEG
 * encodes YUV directly); until then each frame is converted once, here. */
#pragma once

#include <cstddef>
#include <cstdint>

#include "image/image.h"

namespace lockstep
{

/* Y'CbCr to R'G'B' coefficients and range (the frame's colour space). */
enum class YuvMatrix { Rec601, Rec709 };
enum class YuvRange { Limited, Full };

struct YuvPlanes {
    const uint8_t *y = nullptr;
    const uint8_t *cb = nullptr;
    const uint8_t *cr = nullptr;
    size_t yStride = 0;
    size_t cStride = 0;
    /* Distance between neighbouring Cb (and Cr) samples: 2 for NV12, 1 for planar YUV420. */
    size_t cStep = 1;
};

/* Fills image (already sized) from the planes. */
void yuv420ToRgb(const YuvPlanes &planes, YuvMatrix matrix, YuvRange range, Image &image);

} // namespace lockstep
