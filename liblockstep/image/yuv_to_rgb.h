/* 8-bit 4:2:0 Y'CbCr to the RGB Image that PNG files, the report and the tests use, in the
 * image's own colour space (BT.601 or BT.709, full or limited range). A frame is converted once,
 * on the writer thread that encodes it as PNG (JPEG stores the planes as they are). */
#pragma once

#include "image/image.h"
#include "image/yuv420_image.h"

namespace lockstep
{

/* Each chroma sample covers its 2x2 block of pixels. Throws RunError for an empty image. */
Image toRgb(const Yuv420Image &yuv);

} // namespace lockstep
