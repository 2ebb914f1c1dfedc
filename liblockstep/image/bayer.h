/* Between a Bayer mosaic and pictures: the simulated camera makes the mosaic its sensor would
 * have delivered for the picture it rendered, and verify and the report look at a DNG's mosaic
 * as a picture. Neither is a camera-grade demosaic: a 2x2 cell gives its four pixels one
 * colour, which keeps the turntable's angle and the thumbnails right at a fraction of the cost. */
#pragma once

#include <cstdint>

#include "image/image.h"
#include "image/raw_image.h"
#include "image/yuv420_image.h"

namespace lockstep
{

/* Each site takes its CFA colour of the pixel, made linear (a sensor counts photons; the
 * picture is gamma-encoded, sRGB's 2.2) and scaled between the black level and the white level
 * of `bitDepth` bits. Throws RunError for an empty image or an encoding other than JPEG's
 * (kJpegYuv, what the simulated camera renders). */
RawImage bayerFromYuv(const Yuv420Image &yuv, CfaPattern cfa, unsigned bitDepth,
                      uint16_t blackLevel);

/* The mosaic as an 8-bit gamma-encoded RGB picture: each 2x2 cell's red, mean green and blue,
 * above its black level, for all four of its pixels. Throws RunError for an empty mosaic. */
Image rgbFromBayer(const RawImage &raw);

} // namespace lockstep
