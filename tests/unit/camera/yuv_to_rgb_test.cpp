#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <vector>

#include "camera/yuv_to_rgb.h"

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

/* A 4x2 frame: left half one colour, right half another; strides padded to 8. */
struct Frame420 {
    std::vector<uint8_t> y = std::vector<uint8_t>(size_t(8) * 2, 0xee);
    std::vector<uint8_t> cbcr = std::vector<uint8_t>(8, 0xee); /* NV12: one row of pairs */
    std::vector<uint8_t> cb = std::vector<uint8_t>(4, 0xee);   /* planar: stride 4 */
    std::vector<uint8_t> cr = std::vector<uint8_t>(4, 0xee);

    void set(unsigned half, uint8_t luma, uint8_t u, uint8_t v)
    {
        for (unsigned row = 0; row < 2; ++row)
            for (unsigned x = half * 2; x < half * 2 + 2; ++x)
                y[size_t(row) * 8 + x] = luma;
        cbcr[size_t(half) * 2] = u;
        cbcr[size_t(half) * 2 + 1] = v;
        cb[half] = u;
        cr[half] = v;
    }
    YuvPlanes nv12() const { return {y.data(), cbcr.data(), cbcr.data() + 1, 8, 8, 2}; }
    YuvPlanes planar() const { return {y.data(), cb.data(), cr.data(), 8, 4, 1}; }
};

} // namespace

BOOST_AUTO_TEST_CASE(limited_range_bt601_black_white_and_primaries)
{
    Frame420 frame;
    frame.set(0, 16, 128, 128); /* black */
    frame.set(1, 81, 90, 240);  /* red (BT.601, studio swing) */
    for (const YuvPlanes &planes : {frame.nv12(), frame.planar()}) {
        Image image(4, 2);
        yuv420ToRgb(planes, YuvMatrix::Rec601, YuvRange::Limited, image);
        checkPixel(image, 0, 0, {0, 0, 0});
        checkPixel(image, 1, 1, {0, 0, 0});
        checkPixel(image, 2, 0, {255, 0, 0});
        checkPixel(image, 3, 1, {255, 0, 0});
    }
    frame.set(0, 235, 128, 128); /* white */
    frame.set(1, 41, 240, 110);  /* blue */
    Image image(4, 2);
    yuv420ToRgb(frame.nv12(), YuvMatrix::Rec601, YuvRange::Limited, image);
    checkPixel(image, 0, 0, {255, 255, 255});
    checkPixel(image, 3, 0, {0, 0, 255});
}

BOOST_AUTO_TEST_CASE(full_range_and_bt709)
{
    Frame420 frame;
    frame.set(0, 150, 44, 21);   /* green, BT.601 full range (JPEG) */
    frame.set(1, 128, 128, 128); /* mid grey */
    Image image(4, 2);
    yuv420ToRgb(frame.nv12(), YuvMatrix::Rec601, YuvRange::Full, image);
    checkPixel(image, 0, 0, {0, 255, 0});
    checkPixel(image, 2, 1, {128, 128, 128});

    frame.set(0, 63, 102, 240); /* red, BT.709 studio swing */
    yuv420ToRgb(frame.planar(), YuvMatrix::Rec709, YuvRange::Limited, image);
    checkPixel(image, 1, 0, {255, 0, 0});
}
