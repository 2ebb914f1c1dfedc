/* A frame's capture facts survive in its own file, JPEG and PNG alike, and the file stays an
 * image every decoder reads as before. */
#include <boost/test/unit_test.hpp>

#include <cstring>

#include "image/capture_exif.h"
#include "image/image.h"
#include "util/errors.h"

using namespace lockstep;

namespace
{

CaptureExif sample()
{
    CaptureExif exif;
    exif.exposure = Microseconds(20'000);
    exif.gain = 2.5;
    exif.width = 64;
    exif.height = 48;
    exif.camera = "pi02/cam";
    exif.sensorTimestamp =
        realtimeFromWire(1'796'000'000'123'456'789); /* 2026-11-29, and 123456 us */
    return exif;
}

Image picture()
{
    Image image(64, 48);
    for (size_t i = 0; i < image.rgb.size(); ++i)
        image.rgb[i] = uint8_t(i * 7);
    return image;
}

void checkRead(const std::optional<CaptureExif> &read)
{
    BOOST_REQUIRE(read.has_value());
    const CaptureExif want = sample();
    BOOST_TEST(read->exposure.count() == want.exposure.count());
    BOOST_TEST(read->gain == want.gain);
    BOOST_TEST(read->width == want.width);
    BOOST_TEST(read->height == want.height);
    BOOST_TEST(read->camera == want.camera);
    BOOST_TEST(wireNanos(read->sensorTimestamp) == wireNanos(want.sensorTimestamp) / 1000 * 1000);
}

} // namespace

BOOST_AUTO_TEST_SUITE(capture_exif)

BOOST_AUTO_TEST_CASE(jpeg_carries_it_in_app1_and_still_decodes)
{
    const Image image = picture();
    const std::vector<uint8_t> plain = encodeJpeg(image, 90);
    BOOST_TEST(!readCaptureExif(plain).has_value());
    const std::vector<uint8_t> tagged = withExif(plain, sample());
    BOOST_TEST(tagged.size() > plain.size());
    checkRead(readCaptureExif(tagged));
    /* After SOI and the JFIF APP0, as an APP1 "Exif" segment. */
    const size_t app0End = 4 + (size_t(plain[4]) << 8 | plain[5]);
    BOOST_TEST(tagged[app0End] == 0xff);
    BOOST_TEST(tagged[app0End + 1] == 0xe1);
    BOOST_TEST(std::memcmp(&tagged[app0End + 4], "Exif\0\0", 6) == 0);
    const Image back = decodeImage(tagged);
    BOOST_TEST(back.width == image.width);
    BOOST_TEST((back.rgb == decodeImage(plain).rgb));
    BOOST_TEST(imageSize(tagged).height == image.height);
}

BOOST_AUTO_TEST_CASE(png_carries_it_in_an_exif_chunk_and_still_decodes)
{
    const Image image = picture();
    const std::vector<uint8_t> plain = encodePng(image);
    BOOST_TEST(!readCaptureExif(plain).has_value());
    const std::vector<uint8_t> tagged = withExif(plain, sample());
    checkRead(readCaptureExif(tagged));
    BOOST_TEST(std::memcmp(&tagged[33 + 4], "eXIf", 4) == 0);
    BOOST_TEST((decodeImage(tagged).rgb == image.rgb)); /* libpng checks the chunk's CRC */
}

BOOST_AUTO_TEST_CASE(a_changed_value_reads_back_changed)
{
    CaptureExif other = sample();
    other.exposure = Microseconds(19'950); /* within a plan's rounding, not equal */
    other.gain = 2.49;
    const std::optional<CaptureExif> read = parseExifBlock(exifBlock(other));
    BOOST_REQUIRE(read.has_value());
    BOOST_TEST(read->exposure.count() == 19'950);
    BOOST_TEST(read->gain == 2.49);
}

BOOST_AUTO_TEST_CASE(neither_jpeg_nor_png_is_an_error_and_garbage_reads_as_none)
{
    const std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o'};
    BOOST_CHECK_THROW(withExif(text, sample()), RunError);
    BOOST_TEST(!readCaptureExif(text).has_value());
    std::vector<uint8_t> block = exifBlock(sample());
    block.resize(block.size() / 2); /* cut in the middle of its IFDs */
    BOOST_TEST(!parseExifBlock(block).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
