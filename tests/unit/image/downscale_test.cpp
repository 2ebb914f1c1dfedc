#include <boost/test/unit_test.hpp>

#include "image/image.h"
#include "util/errors.h"

using namespace lockstep;

namespace
{

Image filled(unsigned width, unsigned height, auto value)
{
    Image image(width, height);
    for (unsigned y = 0; y < height; ++y)
        for (unsigned x = 0; x < width; ++x)
            for (unsigned c = 0; c < 3; ++c)
                image.pixel(x, y)[c] = value(x, y, c);
    return image;
}

} // namespace

BOOST_AUTO_TEST_CASE(downscale_averages_each_box)
{
    /* 4x2 -> 2x1: each output pixel is the mean of a 2x2 block. */
    const Image image = filled(
        4, 2, [](unsigned x, unsigned y, unsigned c) { return uint8_t(10 * x + 100 * y + c); });
    const Image small = downscale(image, 2, 1);
    BOOST_REQUIRE(small.width == 2);
    BOOST_REQUIRE(small.height == 1);
    /* block 0: x 0..1, y 0..1 -> mean of 0,10,100,110 = 55 (+c) */
    BOOST_TEST(small.pixel(0, 0)[0] == 55);
    BOOST_TEST(small.pixel(0, 0)[2] == 57);
    BOOST_TEST(small.pixel(1, 0)[0] == 75);
}

BOOST_AUTO_TEST_CASE(downscale_uneven_ratio_keeps_mean)
{
    const Image image = filled(101, 67, [](unsigned x, unsigned y, unsigned c) {
        return uint8_t((x * 7 + y * 13 + c * 50) % 256);
    });
    const Image small = downscale(image, 10, 7);
    BOOST_REQUIRE(small.rgb.size() == size_t(10) * 7 * 3);
    auto mean = [](const Image &i) {
        double sum = 0;
        for (uint8_t v : i.rgb)
            sum += v;
        return sum / double(i.rgb.size());
    };
    /* Boxes differ by at most one pixel in width, so the overall mean barely moves. */
    BOOST_TEST(std::abs(mean(small) - mean(image)) < 3.0);
}

BOOST_AUTO_TEST_CASE(downscale_constant_stays_constant)
{
    const Image image =
        filled(33, 17, [](unsigned, unsigned, unsigned c) { return uint8_t(40 + c); });
    const Image small = downscale(image, 5, 4);
    for (unsigned i = 0; i < small.rgb.size(); i += 3) {
        BOOST_TEST(small.rgb[i] == 40);
        BOOST_TEST(small.rgb[i + 2] == 42);
    }
}

BOOST_AUTO_TEST_CASE(downscale_rejects_empty_sizes)
{
    BOOST_CHECK_THROW(downscale(Image(4, 4), 0, 2), RunError);
    BOOST_CHECK_THROW(downscale(Image(), 2, 2), RunError);
}
