#include <boost/test/unit_test.hpp>

#include <cstring>
#include <random>
#include <vector>

#include "camera/isp_strides.h"
#include "image/image.h"
#include "image/jpeg_encoder.h"
#include "image/raw_yuv_jpeg.h"
#include "util/errors.h"

using namespace lockstep;

namespace
{

/* A noisy picture (every coefficient of every block counts) in planes laid out as a Pi's ISP
 * lays them out, the padding filled with a value no edge has: read as pixels, or left as it is
 * where the blocks reach into it, it would change the file. */
Yuv420Image noisyFrame(unsigned width, unsigned height, unsigned seed)
{
    Yuv420Image image(width, height, kJpegYuv, ispLumaStride(width), ispChromaStride(width));
    std::memset(image.y(), 0xee, image.bytes());
    std::mt19937 random(seed);
    std::uniform_int_distribution<int> noise(-12, 12);
    for (unsigned row = 0; row < height; ++row)
        for (unsigned x = 0; x < width; ++x)
            image.yRow(row)[x] =
                uint8_t(std::clamp(30 + int(180 * x / width) + noise(random), 0, 255));
    for (unsigned row = 0; row < image.chromaHeight(); ++row)
        for (unsigned x = 0; x < image.chromaWidth(); ++x) {
            image.cbRow(row)[x] = uint8_t(100 + 50 * row / image.chromaHeight() + noise(random));
            image.crRow(row)[x] = uint8_t(150 - 40 * x / image.chromaWidth() + noise(random));
        }
    return image;
}

std::vector<uint8_t> bytesOf(std::span<const uint8_t> file)
{
    return {file.begin(), file.end()};
}

} // namespace

BOOST_AUTO_TEST_CASE(a_frame_gives_the_same_file_as_turbojpeg_from_the_same_planes)
{
    RawYuvJpeg raw;
    JpegEncoder turbo;
    /* The HQ camera's 4056 columns (chroma rows of 2028 in blocks of 2032) and the Camera
     * Module 3's 4608, shortened; a frame whose size is whole blocks; one that is neither
     * (rows past the bottom repeated too). Below quality 96 TurboJPEG uses the fast DCT. */
    const std::vector<std::pair<unsigned, unsigned>> sizes{
        {4056, 40}, {4608, 32}, {64, 48}, {100, 30}, {18, 2}};
    for (const auto &[width, height] : sizes)
        for (const int quality : {50, 90, 97}) {
            BOOST_TEST_CONTEXT(width << "x" << height << " quality " << quality)
            {
                const Yuv420Image original = noisyFrame(width, height, width + quality);
                const std::vector<uint8_t> expected = bytesOf(turbo.encode(original, quality));
                Yuv420Image frame = original;
                BOOST_TEST_REQUIRE(RawYuvJpeg::fits(frame));
                BOOST_TEST(bytesOf(raw.compress(frame, quality)) == expected);
                /* The picture is untouched; only the padding the blocks read was written. */
                BOOST_TEST(samePixels(frame, original));
                const Image decoded = decodeImage(expected);
                BOOST_TEST((decoded.width == width && decoded.height == height));
            }
        }
}

BOOST_AUTO_TEST_CASE(the_padding_past_the_edge_repeats_the_edge)
{
    Yuv420Image frame = noisyFrame(4056, 16, 1);
    RawYuvJpeg raw;
    (void)raw.compress(frame, 90);
    for (unsigned row = 0; row < frame.chromaHeight(); ++row)
        for (unsigned x = frame.chromaWidth(); x < 2032; ++x) {
            BOOST_TEST_REQUIRE(frame.cbRow(row)[x] == frame.cbRow(row)[frame.chromaWidth() - 1]);
            BOOST_TEST_REQUIRE(frame.crRow(row)[x] == frame.crRow(row)[frame.chromaWidth() - 1]);
        }
    /* Past the blocks it is left alone. */
    BOOST_TEST(frame.cbRow(0)[2032] == 0xee);
}

BOOST_AUTO_TEST_CASE(planes_without_room_for_the_blocks_are_refused_and_go_through_turbojpeg)
{
    /* Packed rows: the chroma rows are 2028 samples, the blocks need 2032. */
    Yuv420Image packed(4056, 16, kJpegYuv);
    std::memset(packed.y(), 90, packed.bytes());
    BOOST_TEST(!RawYuvJpeg::fits(packed));
    RawYuvJpeg raw;
    BOOST_CHECK_THROW(raw.compress(packed, 90), RunError);
    /* Video range goes through RGB: not this path either. */
    BOOST_TEST(!RawYuvJpeg::fits(Yuv420Image(64, 16, {YuvMatrix::Rec601, YuvRange::Limited})));
    BOOST_TEST(!RawYuvJpeg::fits(Yuv420Image()));

    /* The writer's entry point takes either: the same file as encode(). */
    JpegEncoder encoder;
    const std::vector<uint8_t> expected = bytesOf(encoder.encode(packed, 90));
    BOOST_TEST(bytesOf(encoder.encodeFrame(packed, 90)) == expected);
    Yuv420Image roomy = noisyFrame(4056, 16, 2);
    const std::vector<uint8_t> fromTurbo = bytesOf(encoder.encode(roomy, 90));
    BOOST_TEST(bytesOf(encoder.encodeFrame(roomy, 90)) == fromTurbo);
}

BOOST_AUTO_TEST_CASE(a_bad_quality_is_refused_and_the_compressor_goes_on)
{
    RawYuvJpeg raw;
    Yuv420Image frame = noisyFrame(64, 32, 3);
    BOOST_CHECK_THROW(raw.compress(frame, 0), RunError);
    BOOST_CHECK_THROW(raw.compress(frame, 101), RunError);
    const std::vector<uint8_t> first = bytesOf(raw.compress(frame, 90));
    BOOST_TEST(decodeImage(first).width == 64u);
    /* Its buffer is kept for the next frame, the file the same. */
    const std::span<const uint8_t> again = raw.compress(frame, 90);
    BOOST_TEST(bytesOf(again) == first);
}
