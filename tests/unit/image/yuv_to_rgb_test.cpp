#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <cstring>

#include "image/yuv_to_rgb.h"
#include "util/errors.h"

using namespace lockstep;

namespace
{

struct Rgb {
    int r, g, b;
};

void checkPixel(const Image &image, unsigned x, unsigned y, Rgb want)
{
    const uint8_t *px = image.pixel(x, y);
    BOOST_TEST_CONTEXT("pixel " << x << "," << y)
    {
        BOOST_TEST(std::abs(px[0] - want.r) <= 2);
        BOOST_TEST(std::abs(px[1] - want.g) <= 2);
        BOOST_TEST(std::abs(px[2] - want.b) <= 2);
    }
}

/* A 4x2 image: left half one colour, right half another. Strides padded (8 and 5), the padding
 * filled with a value that would show if it were read as a pixel. */
Yuv420Image twoColours(YuvEncoding encoding)
{
    Yuv420Image image(4, 2, encoding, 8, 5);
    std::memset(image.y(), 0xee, image.bytes());
    return image;
}

void setHalf(Yuv420Image &image, unsigned half, uint8_t luma, uint8_t u, uint8_t v)
{
    for (unsigned row = 0; row < 2; ++row)
        for (unsigned x = half * 2; x < half * 2 + 2; ++x)
            image.yRow(row)[x] = luma;
    image.cbRow(0)[half] = u;
    image.crRow(0)[half] = v;
}

} // namespace

BOOST_AUTO_TEST_CASE(limited_range_bt601_black_white_and_primaries)
{
    Yuv420Image yuv = twoColours({YuvMatrix::Rec601, YuvRange::Limited});
    setHalf(yuv, 0, 16, 128, 128); /* black */
    setHalf(yuv, 1, 81, 90, 240);  /* red (BT.601, studio swing) */
    Image image = toRgb(yuv);
    BOOST_TEST_REQUIRE((image.width == 4 && image.height == 2));
    checkPixel(image, 0, 0, {0, 0, 0});
    checkPixel(image, 1, 1, {0, 0, 0});
    checkPixel(image, 2, 0, {255, 0, 0});
    checkPixel(image, 3, 1, {255, 0, 0});

    setHalf(yuv, 0, 235, 128, 128); /* white */
    setHalf(yuv, 1, 41, 240, 110);  /* blue */
    image = toRgb(yuv);
    checkPixel(image, 0, 0, {255, 255, 255});
    checkPixel(image, 3, 0, {0, 0, 255});
}

BOOST_AUTO_TEST_CASE(full_range_and_bt709)
{
    Yuv420Image jpeg = twoColours(kJpegYuv);
    setHalf(jpeg, 0, 150, 44, 21);   /* green, BT.601 full range (JPEG) */
    setHalf(jpeg, 1, 128, 128, 128); /* mid grey */
    Image image = toRgb(jpeg);
    checkPixel(image, 0, 0, {0, 255, 0});
    checkPixel(image, 2, 1, {128, 128, 128});

    Yuv420Image video = twoColours({YuvMatrix::Rec709, YuvRange::Limited});
    setHalf(video, 0, 63, 102, 240); /* red, BT.709 studio swing */
    image = toRgb(video);
    checkPixel(image, 1, 0, {255, 0, 0});
}

BOOST_AUTO_TEST_CASE(odd_sizes_share_the_last_chroma_sample)
{
    /* 5x3: chroma 3x2; the last column and row have a chroma sample of their own. */
    Yuv420Image yuv(5, 3);
    BOOST_TEST(yuv.chromaWidth() == 3u);
    BOOST_TEST(yuv.chromaHeight() == 2u);
    std::memset(yuv.y(), 128, yuv.bytes());
    yuv.crRow(1)[2] = 255; /* the bottom-right pixel alone turns red */
    const Image image = toRgb(yuv);
    checkPixel(image, 4, 2, {255, 37, 128}); /* R clamped */
    checkPixel(image, 3, 2, {128, 128, 128});
    checkPixel(image, 4, 1, {128, 128, 128});
}

BOOST_AUTO_TEST_CASE(empty_and_narrow_strides_are_refused)
{
    BOOST_CHECK_THROW(Yuv420Image(0, 4), RunError);
    BOOST_CHECK_THROW(Yuv420Image(8, 4, kJpegYuv, 7, 4), RunError);
    BOOST_CHECK_THROW(Yuv420Image(8, 4, kJpegYuv, 8, 3), RunError);
    BOOST_CHECK_THROW(toRgb(Yuv420Image()), RunError);
}
