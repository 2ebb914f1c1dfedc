/* The simulated sensor's mosaic and the picture verify and the report see of a DNG. */
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "image/bayer.h"
#include "image/yuv_to_rgb.h"
#include "util/errors.h"

using namespace lockstep;

namespace
{

/* 6x4 pixels in three 2-wide columns of one colour each (each column a whole chroma block):
 * orange, a mid grey, a dark blue, in Y'CbCr as JPEG stores them. Strides padded with a value
 * that would show if it were read. */
Yuv420Image threeColumns()
{
    Yuv420Image image(6, 4, kJpegYuv, 9, 5);
    std::memset(image.y(), 0xee, image.bytes());
    const uint8_t luma[3] = {160, 128, 40};
    const uint8_t cb[3] = {70, 128, 170};
    const uint8_t cr[3] = {190, 128, 110};
    for (unsigned y = 0; y < 4; ++y)
        for (unsigned x = 0; x < 6; ++x)
            image.yRow(y)[x] = luma[x / 2];
    for (unsigned y = 0; y < 2; ++y)
        for (unsigned x = 0; x < 3; ++x) {
            image.cbRow(y)[x] = cb[x];
            image.crRow(y)[x] = cr[x];
        }
    return image;
}

} // namespace

BOOST_AUTO_TEST_SUITE(bayer)

BOOST_AUTO_TEST_CASE(each_site_counts_its_colour_linearly_above_the_black_level)
{
    const Yuv420Image yuv = threeColumns();
    const Image rgb = toRgb(yuv);
    const CfaPattern patterns[] = {CfaPattern::Rggb, CfaPattern::Grbg, CfaPattern::Gbrg,
                                   CfaPattern::Bggr};
    /* The colour of each site of the top-left 2x2 cell, per pattern (0 R, 1 G, 2 B). */
    const unsigned cells[4][4] = {{0, 1, 1, 2}, {1, 0, 2, 1}, {1, 2, 0, 1}, {2, 1, 1, 0}};
    for (unsigned p = 0; p < 4; ++p) {
        const RawImage raw = bayerFromYuv(yuv, patterns[p], 12, 256);
        BOOST_TEST_CONTEXT("pattern " << p)
        {
            BOOST_TEST(raw.width == 6u);
            BOOST_TEST(raw.height == 4u);
            BOOST_TEST(raw.whiteLevel() == 4095);
            BOOST_TEST(raw.samples.size() == 24u);
            for (unsigned y = 0; y < 4; ++y)
                for (unsigned x = 0; x < 6; ++x) {
                    const unsigned c = cells[p][(y % 2) * 2 + x % 2];
                    const double value = rgb.pixel(x, y)[c] / 255.0;
                    const double want = 256 + std::pow(value, 2.2) * (4095 - 256);
                    /* toRgb and the mosaic round each channel to a byte their own way. */
                    const double step =
                        256 + std::pow(std::min(1.0, value + 2 / 255.0), 2.2) * (4095 - 256) - want;
                    BOOST_TEST_CONTEXT("site " << x << "," << y)
                    BOOST_TEST(std::fabs(raw.samples[y * 6 + x] - want) <= step + 1);
                }
        }
    }
}

BOOST_AUTO_TEST_CASE(the_mosaic_seen_as_a_picture_gives_back_its_colours)
{
    const Yuv420Image yuv = threeColumns();
    const Image rgb = toRgb(yuv);
    const Image seen = rgbFromBayer(bayerFromYuv(yuv, CfaPattern::Bggr, 12, 256));
    BOOST_TEST(seen.width == 6u);
    BOOST_TEST(seen.height == 4u);
    for (unsigned y = 0; y < 4; ++y)
        for (unsigned x = 0; x < 6; ++x)
            for (unsigned c = 0; c < 3; ++c)
                BOOST_TEST_CONTEXT("pixel " << x << "," << y << " channel " << c)
    BOOST_TEST(std::abs(seen.pixel(x, y)[c] - rgb.pixel(x, y)[c]) <= 3);
}

BOOST_AUTO_TEST_CASE(an_odd_edge_borrows_the_sites_it_lacks)
{
    RawImage raw;
    raw.width = 3;
    raw.height = 2;
    raw.bitDepth = 8;
    raw.cfa = CfaPattern::Rggb;
    /* R G R / G B G: only the red sites lit. The last column's cell lacks its second column,
     * so it takes the green and blue sites of column 1: red, not the white that borrowing its
     * own red site for them would give. */
    raw.samples = {255, 0, 255, 0, 0, 0};
    const Image seen = rgbFromBayer(raw);
    for (unsigned y = 0; y < 2; ++y) {
        BOOST_TEST(seen.pixel(2, y)[0] == 255);
        BOOST_TEST(seen.pixel(2, y)[1] == 0);
        BOOST_TEST(seen.pixel(2, y)[2] == 0);
    }
}

BOOST_AUTO_TEST_CASE(refuses_what_it_cannot_represent)
{
    BOOST_CHECK_THROW(bayerFromYuv(Yuv420Image(), CfaPattern::Rggb, 12, 0), RunError);
    BOOST_CHECK_THROW(bayerFromYuv(threeColumns(), CfaPattern::Rggb, 12, 4095), RunError);
    BOOST_CHECK_THROW(bayerFromYuv(threeColumns(), CfaPattern::Rggb, 20, 0), RunError);
    const Yuv420Image limited(4, 4, YuvEncoding{YuvMatrix::Rec709, YuvRange::Limited});
    BOOST_CHECK_THROW(bayerFromYuv(limited, CfaPattern::Rggb, 12, 0), RunError);
    BOOST_CHECK_THROW(rgbFromBayer(RawImage()), RunError);
}

BOOST_AUTO_TEST_SUITE_END()
