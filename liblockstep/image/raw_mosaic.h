/* A Bayer mosaic made from a finished frame, for a simulated camera whose "sensor" has only
 * the YUV frame it drew: each site keeps the one colour its filter passes, made linear again
 * (sRGB's transfer curve undone, as a real sensor counts light) and scaled between the black
 * and white levels. A raw converter's rendering of its DNG then shows the same picture as the
 * frame's JPEG or PNG. The colours are taken as white-balanced: colour gains of 1. */
#pragma once

#include <cstdint>

#include "image/raw_image.h"
#include "image/yuv420_image.h"

namespace lockstep
{

/* Throws RunError for an empty image, a bit depth outside 1-16 or a black level at or above
 * the white level. */
RawImage mosaicFromYuv(const Yuv420Image &image, CfaPattern cfa, unsigned bitDepth,
                       uint16_t blackLevel);

} // namespace lockstep
