#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "image/image.h"
#include "image/jpeg_encoder.h"
#include "image/yuv_to_rgb.h"
#include "util/errors.h"

using namespace lockstep;

namespace
{

/* Smooth gradients in every plane (what JPEG keeps well), in padded planes whose padding would
 * show as stripes if the encoder read it as pixels. */
Yuv420Image gradients(unsigned width, unsigned height, size_t yPad, size_t cPad,
                      YuvEncoding encoding = kJpegYuv)
{
    Yuv420Image image(width, height, encoding, width + yPad, (width + 1) / 2 + cPad);
    std::memset(image.y(), 0, image.bytes());
    for (unsigned row = 0; row < height; ++row)
        for (unsigned x = 0; x < width; ++x)
            image.yRow(row)[x] = uint8_t(40 + 160 * x / width);
    for (unsigned row = 0; row < image.chromaHeight(); ++row)
        for (unsigned x = 0; x < image.chromaWidth(); ++x) {
            image.cbRow(row)[x] = uint8_t(80 + 90 * row / image.chromaHeight());
            image.crRow(row)[x] = uint8_t(170 - 80 * x / image.chromaWidth());
        }
    return image;
}

/* Largest difference of any channel of any pixel. */
int maxDifference(const Image &a, const Image &b)
{
    BOOST_TEST_REQUIRE((a.width == b.width && a.height == b.height));
    int worst = 0;
    for (size_t i = 0; i < a.rgb.size(); ++i)
        worst = std::max(worst, std::abs(int(a.rgb[i]) - int(b.rgb[i])));
    return worst;
}

} // namespace

BOOST_AUTO_TEST_CASE(planes_with_wide_strides_encode_to_their_picture)
{
    JpegEncoder encoder;
    /* 4056 wide (not a multiple of the 16-pixel MCU) as the HQ camera, shortened. */
    for (const auto &[width, height] : {std::pair{64u, 48u}, std::pair{4056u, 40u}}) {
        const Yuv420Image planes = gradients(width, height, 64, 32);
        const std::span<const uint8_t> jpeg = encoder.encode(planes, 95);
        const Image decoded = decodeImage(jpeg);
        BOOST_TEST_CONTEXT(width << "x" << height)
        {
            BOOST_TEST((decoded.width == width && decoded.height == height));
            /* The same picture as the planes converted directly: JPEG at q95 moves smooth
             * gradients by a few levels at most. Zero padding read as pixels would be 40+. */
            BOOST_TEST(maxDifference(decoded, toRgb(planes)) <= 6);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_buffer_is_reused_and_grows)
{
    JpegEncoder encoder;
    const Yuv420Image small = gradients(32, 32, 0, 0);
    const Yuv420Image large = gradients(640, 480, 0, 0);
    const std::span<const uint8_t> first = encoder.encode(small, 90);
    const std::vector<uint8_t> firstCopy(first.begin(), first.end());
    const std::span<const uint8_t> second = encoder.encode(small, 90);
    BOOST_TEST(second.data() == first.data()); /* no new buffer per frame */
    BOOST_TEST(std::vector<uint8_t>(second.begin(), second.end()) == firstCopy);
    const std::span<const uint8_t> bigger = encoder.encode(large, 90);
    BOOST_TEST(decodeImage(bigger).width == 640u);
    const std::span<const uint8_t> again = encoder.encode(small, 90);
    BOOST_TEST(std::vector<uint8_t>(again.begin(), again.end()) == firstCopy);
    /* The copying helper gives the same file. */
    BOOST_TEST(encodeJpeg(small, 90) == firstCopy);
}

BOOST_AUTO_TEST_CASE(yuv_and_rgb_of_one_picture_give_the_same_jpeg)
{
    /* tjCompress2 converts RGB to JPEG's Y'CbCr and averages chroma 2x2: from planes that are
     * that already, the file is the same picture, but for rounding through 8-bit RGB twice and
     * the two files' quantisation. */
    const Yuv420Image planes = gradients(96, 64, 8, 8);
    const Image fromYuv = decodeImage(encodeJpeg(planes, 90));
    const Image fromRgb = decodeImage(encodeJpeg(toRgb(planes), 90));
    BOOST_TEST(maxDifference(fromYuv, fromRgb) <= 8);
}

BOOST_AUTO_TEST_CASE(video_range_planes_keep_their_colours)
{
    /* Limited-range BT.601 (libcamera's virtual pipeline): the file must show the same colours
     * as the frame, not its samples taken as full range (black 16 would come out grey 16). */
    Yuv420Image video(32, 32, {YuvMatrix::Rec601, YuvRange::Limited});
    std::memset(video.y(), 16, video.yStride() * video.height()); /* black */
    std::memset(video.cb(), 128, video.bytes() - video.yStride() * video.height());
    const Image decoded = decodeImage(encodeJpeg(video, 95));
    for (const uint8_t value : decoded.rgb)
        BOOST_TEST_REQUIRE(int(value) <= 2);
}

BOOST_AUTO_TEST_CASE(bad_requests_are_refused)
{
    JpegEncoder encoder;
    BOOST_CHECK_THROW(encoder.encode(Yuv420Image(), 90), RunError);
    BOOST_CHECK_THROW(encoder.encode(gradients(16, 16, 0, 0), 0), RunError);
    BOOST_CHECK_THROW(encoder.encode(gradients(16, 16, 0, 0), 101), RunError);
}
