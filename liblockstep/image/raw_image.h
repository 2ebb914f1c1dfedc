/* A sensor's raw frame: the Bayer mosaic as the sensor saw it, before any demosaicing, white
 * balance or gamma, so that a DNG of it keeps everything the camera measured. */
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace lockstep
{

/* The colours of the top-left 2x2 cell, row by row. */
enum class CfaPattern { Rggb, Grbg, Gbrg, Bggr };

/* The colour of each site of the 2x2 cell, row by row: 0 red, 1 green, 2 blue (DNG's
 * CFAPattern codes). */
constexpr std::array<uint8_t, 4> cfaColours(CfaPattern cfa)
{
    switch (cfa) {
    case CfaPattern::Rggb:
        return {0, 1, 1, 2};
    case CfaPattern::Grbg:
        return {1, 0, 2, 1};
    case CfaPattern::Gbrg:
        return {1, 2, 0, 1};
    case CfaPattern::Bggr:
        return {2, 1, 1, 0};
    }
    return {0, 1, 1, 2};
}

/* The colour of the site at column x, row y. */
constexpr uint8_t cfaColour(CfaPattern cfa, unsigned x, unsigned y)
{
    return cfaColours(cfa)[(y % 2) * 2 + x % 2];
}

/* One Bayer mosaic, unpacked: one uint16_t per pixel, rows packed (stride = width). */
struct RawImage {
    unsigned width = 0, height = 0;
    unsigned bitDepth = 12; /* significant bits (10, 12, 16) */
    CfaPattern cfa = CfaPattern::Rggb;
    uint16_t blackLevel = 0;       /* in the sample's units */
    std::vector<uint16_t> samples; /* width * height */
    /* How it was taken, kept beside the pixels because a DNG needs them to be developed. */
    std::string sensorModel;              /* "imx708", "simulated" */
    double redGain = 1.0, blueGain = 1.0; /* the white balance the processed frame was given */

    bool empty() const { return samples.empty(); }
    uint16_t whiteLevel() const { return uint16_t((1u << bitDepth) - 1); }
};

} // namespace lockstep
