/* A sensor's raw frame: the Bayer mosaic as the sensor saw it, before any demosaicing, white
 * balance or gamma, so that a DNG of it keeps everything the camera measured. */
#pragma once

#include <cstdint>
#include <vector>

namespace lockstep
{

/* The colours of the top-left 2x2 cell, row by row. */
enum class CfaPattern { Rggb, Grbg, Gbrg, Bggr };

/* One Bayer mosaic, unpacked: one uint16_t per pixel, rows packed (stride = width). */
struct RawImage {
    unsigned width = 0, height = 0;
    unsigned bitDepth = 12; /* significant bits (10, 12, 16) */
    CfaPattern cfa = CfaPattern::Rggb;
    uint16_t blackLevel = 0;       /* in the sample's units */
    std::vector<uint16_t> samples; /* width * height */

    bool empty() const { return samples.empty(); }
    uint16_t whiteLevel() const { return uint16_t((1u << bitDepth) - 1); }
};

} // namespace lockstep
