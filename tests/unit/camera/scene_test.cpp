#define BOOST_TEST_MODULE camera
#include <boost/test/unit_test.hpp>

#include <array>
#include <cmath>
#include <cstring>
#include <vector>

#include "camera/sim_scene.h"
#include "image/image.h"
#include "image/jpeg_encoder.h"
#include "image/yuv_to_rgb.h"
#include "util/errors.h"

using namespace lockstep;

namespace
{

double angleError(double a, double b)
{
    return std::abs(std::remainder(a - b, 360.0));
}

/* What verify sees: the frame after a trip through the JPEG codec. */
AngleEstimate estimateThroughJpeg(const Yuv420Image &frame, int quality, double azimuth,
                                  bool rotation180 = false)
{
    return estimateTurntableAngle(decodeImage(encodeJpeg(frame, quality)), azimuth, rotation180);
}

} // namespace

BOOST_AUTO_TEST_CASE(angle_round_trip_through_jpeg_q90)
{
    double worst = 0;
    double worstSpread = 0;
    for (const double azimuth : {0.0, 45.0, 137.5, 270.0}) {
        for (int degree = 0; degree < 360; ++degree) {
            const double angle = degree + 0.25; /* off the whole degrees */
            const std::array angles{angle};
            const Yuv420Image frame =
                renderTurntable(640, 480, angles, azimuth, false, unsigned(degree) + 1);
            const AngleEstimate estimate = estimateThroughJpeg(frame, 90, azimuth);
            BOOST_REQUIRE(estimate.valid);
            worst = std::max(worst, angleError(estimate.angleDeg, angle));
            worstSpread = std::max(worstSpread, estimate.spreadDeg);
            BOOST_TEST(estimate.angleDeg >= 0.0);
            BOOST_TEST(estimate.angleDeg < 360.0);
        }
    }
    BOOST_TEST_MESSAGE("640x480 JPEG q90: worst angle error " << worst << " deg, worst spread "
                                                              << worstSpread);
    BOOST_TEST(worst < 0.5);
    BOOST_TEST(worstSpread < 3.0);
}

BOOST_AUTO_TEST_CASE(angle_survives_sizes_quality_and_rotation)
{
    struct Case {
        unsigned width;
        unsigned height;
        int quality;
        bool rotation180;
    };
    for (const Case c : {Case{320, 240, 75, false}, Case{320, 240, 75, true},
                         Case{1920, 1080, 80, false}, Case{4056, 3040, 90, true}}) {
        for (const double angle : {12.5, 200.0, 359.9}) {
            const std::array angles{angle};
            const double azimuth = 90;
            const Yuv420Image frame =
                renderTurntable(c.width, c.height, angles, azimuth, c.rotation180, 7);
            const AngleEstimate estimate =
                estimateThroughJpeg(frame, c.quality, azimuth, c.rotation180);
            BOOST_TEST_CONTEXT(c.width << "x" << c.height << " q" << c.quality << " rot180 "
                                       << c.rotation180 << " angle " << angle)
            {
                BOOST_TEST_REQUIRE(estimate.valid);
                BOOST_TEST(angleError(estimate.angleDeg, angle) < 0.5);
                BOOST_TEST(estimate.spreadDeg < 3.0);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(rotation_and_azimuth_turn_the_view)
{
    const std::array angles{30.0};
    const Image upright = toRgb(renderTurntable(320, 240, angles, 0, false));
    const Image turned = toRgb(renderTurntable(320, 240, angles, 0, true));
    BOOST_TEST(upright.rgb != turned.rgb);
    /* Read with the wrong rotation, the frame shows the angle half a turn away. */
    BOOST_TEST(angleError(estimateTurntableAngle(turned, 0, false).angleDeg, 210.0) < 0.5);
    /* A camera 90 degrees further round sees the disc 90 degrees further turned. */
    const Image fromSide = toRgb(renderTurntable(320, 240, angles, 90, false));
    BOOST_TEST(angleError(estimateTurntableAngle(fromSide, 0, false).angleDeg, 120.0) < 0.5);
}

BOOST_AUTO_TEST_CASE(motion_blur_shows_as_spread_and_mean_angle)
{
    for (const double arc : {8.0, 20.0, 60.0}) {
        constexpr int kInstants = 16;
        std::vector<double> angles;
        angles.reserve(kInstants);
        for (int i = 0; i < kInstants; ++i)
            angles.push_back(100.0 + arc * i / (kInstants - 1));
        const Yuv420Image frame = renderTurntable(640, 480, angles, 0, false, 3);
        const AngleEstimate estimate = estimateThroughJpeg(frame, 90, 0);
        BOOST_TEST_MESSAGE("blur over " << arc << " deg: angle " << estimate.angleDeg << ", spread "
                                        << estimate.spreadDeg);
        BOOST_TEST_REQUIRE(estimate.valid);
        BOOST_TEST(estimate.spreadDeg > 5.0);
        BOOST_TEST(angleError(estimate.angleDeg, 100.0 + arc / 2) < 1.0); /* the mean position */
    }
}

BOOST_AUTO_TEST_CASE(no_disc_is_not_valid)
{
    Image grey(320, 240);
    std::fill(grey.rgb.begin(), grey.rgb.end(), uint8_t(128));
    BOOST_TEST(!estimateTurntableAngle(grey, 0).valid);
    Image stripes(320, 240); /* coloured, but not a hue ring */
    for (unsigned y = 0; y < 240; ++y)
        for (unsigned x = 0; x < 320; ++x) {
            uint8_t *p = stripes.pixel(x, y);
            p[0] = (x / 8) % 2 ? 250 : 0;
            p[1] = (y / 8) % 2 ? 250 : 0;
            p[2] = 30;
        }
    BOOST_TEST(!estimateTurntableAngle(stripes, 0).valid);
    BOOST_TEST(!estimateTurntableAngle(Image(), 0).valid);
}

BOOST_AUTO_TEST_CASE(noise_is_mild_and_reproducible)
{
    const std::array angles{45.0};
    const Yuv420Image clean = renderTurntable(320, 240, angles, 0, false, 0);
    const Yuv420Image noisy = renderTurntable(320, 240, angles, 0, false, 11);
    BOOST_TEST(samePixels(renderTurntable(320, 240, angles, 0, false, 11), noisy));
    BOOST_TEST(!samePixels(renderTurntable(320, 240, angles, 0, false, 12), noisy));
    /* Packed planes: the buffers hold the samples and nothing else, luma first. */
    BOOST_TEST_REQUIRE(clean.bytes() == size_t(320) * 240 * 3 / 2);
    const size_t luma = size_t(320) * 240;
    int maxDiff = 0;
    size_t changed = 0;
    for (size_t i = 0; i < luma; ++i) {
        const int diff = std::abs(int(clean.y()[i]) - int(noisy.y()[i]));
        maxDiff = std::max(maxDiff, diff);
        changed += diff != 0;
    }
    BOOST_TEST(maxDiff <= 2);
    BOOST_TEST(changed > luma / 2);
    /* Chroma: RGB noise averaged over 2x2 pixels is next to nothing; none is added. */
    BOOST_TEST(std::memcmp(clean.cb(), noisy.cb(), clean.bytes() - luma) == 0);
}

/* The frame is JPEG's Y'CbCr of the scene's colours: the same pixels as RGB, within rounding
 * (chroma is shared by 2x2 pixels, so only flat areas compare exactly). */
BOOST_AUTO_TEST_CASE(frames_are_yuv420_of_the_scene_colours)
{
    const std::array angles{0.0};
    const Yuv420Image frame = renderTurntable(320, 240, angles, 0, false, 0);
    BOOST_TEST((frame.width() == 320u && frame.height() == 240u));
    BOOST_TEST((frame.chromaWidth() == 160u && frame.chromaHeight() == 120u));
    BOOST_TEST((frame.encoding() == kJpegYuv));
    const Image rgb = toRgb(frame);
    const uint8_t *corner = rgb.pixel(1, 1); /* background grey 120 */
    for (int c = 0; c < 3; ++c)
        BOOST_TEST(std::abs(int(corner[c]) - 120) <= 1);
    BOOST_TEST(int(frame.cbRow(0)[0]) == 128);
    BOOST_TEST(int(frame.crRow(0)[0]) == 128);
    /* Hue ring at disc angle 0, right of the centre: RGB (228, 78, 78). */
    const auto ringX = unsigned(160 + 0.87 * 0.45 * 240);
    const uint8_t *ring = rgb.pixel(ringX, 120);
    BOOST_TEST(std::abs(int(ring[0]) - 228) <= 4);
    BOOST_TEST(std::abs(int(ring[1]) - 78) <= 4);
    BOOST_TEST(std::abs(int(ring[2]) - 78) <= 4);
}

/* An odd size: the last chroma column and row cover one pixel column or row. */
BOOST_AUTO_TEST_CASE(odd_sizes_render)
{
    const std::array angles{10.0};
    const Yuv420Image frame = renderTurntable(321, 241, angles, 0, false, 5);
    BOOST_TEST((frame.chromaWidth() == 161u && frame.chromaHeight() == 121u));
    const AngleEstimate estimate = estimateTurntableAngle(toRgb(frame), 0);
    BOOST_TEST_REQUIRE(estimate.valid);
    BOOST_TEST(angleError(estimate.angleDeg, 10.0) < 0.5);
}

BOOST_AUTO_TEST_CASE(render_rejects_empty_requests)
{
    const std::array angles{0.0};
    BOOST_CHECK_THROW(renderTurntable(0, 10, angles, 0), RunError);
    BOOST_CHECK_THROW(renderTurntable(10, 10, std::span<const double>(), 0), RunError);
}
