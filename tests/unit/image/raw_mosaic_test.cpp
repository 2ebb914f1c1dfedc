/* A simulated camera's mosaic matches its frame: each site holds the linear level of the colour
 * its filter passes, between the black and white levels. */
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstring>

#include "image/raw_mosaic.h"
#include "util/errors.h"

using namespace lockstep;

namespace
{

/* A frame of one colour (full-range BT.601, JPEG's). */
Yuv420Image flat(unsigned width, unsigned height, uint8_t y, uint8_t cb, uint8_t cr)
{
    Yuv420Image image(width, height);
    std::memset(image.y(), y, image.yStride() * height);
    std::memset(image.cb(), cb, image.cStride() * image.chromaHeight());
    std::memset(image.cr(), cr, image.cStride() * image.chromaHeight());
    return image;
}

} // namespace

BOOST_AUTO_TEST_CASE(mosaic_of_white_black_and_grey_spans_the_levels)
{
    const RawImage white = mosaicFromYuv(flat(6, 4, 255, 128, 128), CfaPattern::Rggb, 12, 256);
    BOOST_CHECK_EQUAL(white.width, 6u);
    BOOST_CHECK_EQUAL(white.height, 4u);
    BOOST_CHECK_EQUAL(white.bitDepth, 12u);
    BOOST_CHECK_EQUAL(white.blackLevel, 256);
    BOOST_REQUIRE_EQUAL(white.samples.size(), 24u);
    BOOST_CHECK(std::all_of(white.samples.begin(), white.samples.end(),
                            [](uint16_t s) { return s == 4095; }));

    const RawImage black = mosaicFromYuv(flat(6, 4, 0, 128, 128), CfaPattern::Rggb, 12, 256);
    BOOST_CHECK(std::all_of(black.samples.begin(), black.samples.end(),
                            [](uint16_t s) { return s == 256; }));

    /* sRGB 128 is 21.586% of the light: 256 + 0.21586 x 3839 = 1084.7. */
    const RawImage grey = mosaicFromYuv(flat(6, 4, 128, 128, 128), CfaPattern::Rggb, 12, 256);
    BOOST_CHECK(std::all_of(grey.samples.begin(), grey.samples.end(),
                            [](uint16_t s) { return s == 1085; }));
}

BOOST_AUTO_TEST_CASE(mosaic_sites_hold_the_colour_of_their_filter)
{
    /* Saturated red: R' 254, G' and B' 0. */
    const Yuv420Image red = flat(4, 4, 76, 85, 255);
    const CfaPattern patterns[] = {CfaPattern::Rggb, CfaPattern::Grbg, CfaPattern::Gbrg,
                                   CfaPattern::Bggr};
    for (const CfaPattern cfa : patterns) {
        BOOST_TEST_CONTEXT("pattern " << int(cfa))
        {
            const RawImage raw = mosaicFromYuv(red, cfa, 10, 64);
            BOOST_CHECK(raw.cfa == cfa);
            for (unsigned y = 0; y < raw.height; ++y)
                for (unsigned x = 0; x < raw.width; ++x) {
                    const uint16_t sample = raw.samples[y * raw.width + x];
                    if (cfaColour(cfa, x, y) == 0)
                        BOOST_CHECK_GT(sample, 1000);
                    else
                        BOOST_CHECK_LT(sample, 70);
                }
        }
    }
}

BOOST_AUTO_TEST_CASE(mosaic_refuses_impossible_levels)
{
    BOOST_CHECK_THROW(mosaicFromYuv(Yuv420Image(), CfaPattern::Rggb, 12, 0), RunError);
    BOOST_CHECK_THROW(mosaicFromYuv(flat(2, 2, 0, 128, 128), CfaPattern::Rggb, 17, 0), RunError);
    BOOST_CHECK_THROW(mosaicFromYuv(flat(2, 2, 0, 128, 128), CfaPattern::Rggb, 10, 1023), RunError);
}
