#define BOOST_TEST_MODULE image
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <zlib.h>

#include "image/codecs.h"
#include "image/image.h"
#include "util/errors.h"

using namespace lockstep;

namespace
{

/* Smooth gradients plus a little noise: photo-like content whose JPEG error is small but not
 * zero, and which exercises every byte value for the lossless check. */
Image testPicture(unsigned width, unsigned height, unsigned seed)
{
    Image image(width, height);
    std::mt19937 random(seed);
    std::uniform_int_distribution<int> noise(-4, 4);
    for (unsigned y = 0; y < height; ++y)
        for (unsigned x = 0; x < width; ++x) {
            uint8_t *p = image.pixel(x, y);
            const int values[3] = {int(255 * x / width), int(255 * y / height),
                                   int(128 + 100 * std::sin(x * 0.05) * std::cos(y * 0.07))};
            for (int c = 0; c < 3; ++c)
                p[c] = uint8_t(std::clamp(values[c] + noise(random), 0, 255));
        }
    return image;
}

double meanAbsError(const Image &a, const Image &b)
{
    BOOST_REQUIRE_EQUAL(a.rgb.size(), b.rgb.size());
    double sum = 0;
    for (size_t i = 0; i < a.rgb.size(); ++i)
        sum += std::abs(int(a.rgb[i]) - int(b.rgb[i]));
    return sum / double(a.rgb.size());
}

bool messageContains(const RunError &error, const std::string &text)
{
    BOOST_TEST_MESSAGE("error: " << error.what());
    return std::string(error.what()).find(text) != std::string::npos;
}

/* A temporary directory removed at the end of the test. */
struct TempDir {
    std::filesystem::path path;
    TempDir()
    {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "lockstep-image-XXXXXX").string();
        BOOST_REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

} // namespace

BOOST_AUTO_TEST_CASE(png_round_trip_is_exact)
{
    for (const auto &[w, h] : {std::pair{1u, 1u}, {17u, 3u}, {320u, 240u}}) {
        const Image original = testPicture(w, h, w * h);
        const std::vector<uint8_t> png = encodePng(original);
        const Image decoded = decodeImage(png);
        BOOST_TEST(decoded.width == w);
        BOOST_TEST(decoded.height == h);
        BOOST_TEST(decoded.rgb == original.rgb);
    }
}

BOOST_AUTO_TEST_CASE(jpeg_round_trip_is_close)
{
    const Image original = testPicture(321, 239, 7); /* odd sizes: partial MCUs */
    const Image q95 = decodeImage(encodeJpeg(original, 95));
    const Image q50 = decodeImage(encodeJpeg(original, 50));
    BOOST_TEST(q95.width == original.width);
    BOOST_TEST(q95.height == original.height);
    const double error95 = meanAbsError(original, q95);
    const double error50 = meanAbsError(original, q50);
    BOOST_TEST_MESSAGE("JPEG mean absolute error: q95 " << error95 << ", q50 " << error50);
    BOOST_TEST(error95 < 3.0);
    BOOST_TEST(error50 > error95); /* the quality setting reaches the encoder */
}

BOOST_AUTO_TEST_CASE(jpeg_is_baseline_420)
{
    const std::vector<uint8_t> jpeg = encodeJpeg(testPicture(64, 64, 1), 90);
    /* SOF0 (baseline) with three components; the luma sampling factor byte is 0x22 (2x2 = 4:2:0).
     */
    bool found = false;
    for (size_t i = 0; i + 12 < jpeg.size(); ++i)
        if (jpeg[i] == 0xff && jpeg[i + 1] == 0xc0) {
            BOOST_TEST(jpeg[i + 9] == 3);
            BOOST_TEST(jpeg[i + 11] == 0x22);
            found = true;
            break;
        }
    BOOST_TEST(found);
}

BOOST_AUTO_TEST_CASE(a_thumbnail_decode_is_scaled_but_never_narrower_than_asked)
{
    const Image image = testPicture(1600, 1200, 7);
    const std::vector<uint8_t> jpeg = encodeJpeg(image, 90);
    const Image eighth = decodeImage(jpeg, 190); /* 1600 / 8 = 200 >= 190 */
    BOOST_TEST(eighth.width == 200u);
    BOOST_TEST(eighth.height == 150u);
    const Image quarter = decodeImage(jpeg, 201); /* 1/8 too narrow: 1/4 */
    BOOST_TEST(quarter.width == 400u);
    /* The same picture, as the full decode box-filtered down. */
    BOOST_TEST(meanAbsError(eighth, downscale(decodeImage(jpeg), 200, 150)) < 3.0);
    BOOST_TEST(decodeImage(jpeg, 1600).width == 1600u);
    BOOST_TEST(decodeImage(jpeg, 5000).width == 1600u);            /* never upscaled */
    BOOST_TEST(decodeImage(encodePng(image), 190).width == 1600u); /* PNG: always whole */
}

BOOST_AUTO_TEST_CASE(encoders_reject_bad_input)
{
    Image inconsistent(4, 4);
    inconsistent.rgb.resize(10);
    BOOST_CHECK_THROW(encodeJpeg(inconsistent, 90), RunError);
    BOOST_CHECK_THROW(encodePng(inconsistent), RunError);
    BOOST_CHECK_THROW(encodeJpeg(Image(), 90), RunError);
    BOOST_CHECK_EXCEPTION(encodeJpeg(Image(4, 4), 101), RunError,
                          [](const RunError &e) { return messageContains(e, "quality 101"); });
}

BOOST_AUTO_TEST_CASE(corrupt_data_gives_clear_errors)
{
    const Image original = testPicture(64, 48, 3);
    const std::vector<uint8_t> jpeg = encodeJpeg(original, 90);
    const std::vector<uint8_t> png = encodePng(original);

    BOOST_CHECK_EXCEPTION(decodeImage({}), RunError,
                          [](const RunError &e) { return messageContains(e, "no data"); });
    const std::vector<uint8_t> text{'h', 'e', 'l', 'l', 'o'};
    BOOST_CHECK_EXCEPTION(decodeImage(text), RunError, [](const RunError &e) {
        return messageContains(e, "not a JPEG, PNG or DNG image (starts with 68 65");
    });

    const std::span<const uint8_t> jpegHalf(jpeg.data(), jpeg.size() / 2);
    BOOST_CHECK_EXCEPTION(decodeImage(jpegHalf), RunError,
                          [](const RunError &e) { return messageContains(e, "corrupt JPEG"); });
    const std::span<const uint8_t> jpegHeaderOnly(jpeg.data(), 4);
    BOOST_CHECK_EXCEPTION(decodeImage(jpegHeaderOnly), RunError,
                          [](const RunError &e) { return messageContains(e, "corrupt JPEG"); });

    const std::span<const uint8_t> pngHalf(png.data(), png.size() / 2);
    BOOST_CHECK_EXCEPTION(decodeImage(pngHalf), RunError,
                          [](const RunError &e) { return messageContains(e, "corrupt PNG"); });
    std::vector<uint8_t> pngFlipped = png;
    pngFlipped[pngFlipped.size() / 2] ^= 0xff; /* the zlib stream's checksum catches this */
    BOOST_CHECK_EXCEPTION(decodeImage(pngFlipped), RunError,
                          [](const RunError &e) { return messageContains(e, "corrupt PNG"); });
}

namespace
{

/* Big-endian 16 or 32 bits at `offset`. */
void putBigEndian(std::vector<uint8_t> &bytes, size_t offset, uint32_t value, size_t length)
{
    for (size_t i = 0; i < length; ++i)
        bytes[offset + i] = uint8_t(value >> (8 * (length - 1 - i)));
}

/* 9000 x 9000 is 81 MP, above the 64 MP limit: refused from the header, before the decoder
 * allocates 243 MB for pixels the file does not have. */
constexpr uint32_t kForgedSide = 9000;
constexpr const char *kForgedRefusal =
    "image of 9000x9000 pixels is empty or larger than the 64 MP limit";

} // namespace

BOOST_AUTO_TEST_CASE(forged_png_size_is_refused_before_allocating)
{
    std::vector<uint8_t> png = encodePng(testPicture(8, 8, 5));
    /* IHDR: length (8), type (12), width (16), height (20), ..., CRC of type and data (29). */
    BOOST_REQUIRE(std::string(png.begin() + 12, png.begin() + 16) == "IHDR");
    putBigEndian(png, 16, kForgedSide, 4);
    putBigEndian(png, 20, kForgedSide, 4);
    /* A correct CRC, so that libpng accepts the header and our own size check is what refuses. */
    putBigEndian(png, 29, uint32_t(crc32(0, png.data() + 12, 17)), 4);
    BOOST_CHECK_EXCEPTION(decodeImage(png), RunError, [](const RunError &e) {
        return messageContains(e, std::string("PNG ") + kForgedRefusal);
    });
}

BOOST_AUTO_TEST_CASE(forged_jpeg_size_is_refused_before_allocating)
{
    std::vector<uint8_t> jpeg = encodeJpeg(testPicture(8, 8, 5), 90);
    /* The baseline frame header: FF C0, length (2), precision (1), height (2), width (2). */
    size_t sof = 2;
    while (sof + 9 < jpeg.size() && !(jpeg[sof] == 0xff && jpeg[sof + 1] == 0xc0))
        sof += 2 + ((size_t(jpeg[sof + 2]) << 8) | jpeg[sof + 3]);
    BOOST_REQUIRE(sof + 9 < jpeg.size());
    putBigEndian(jpeg, sof + 5, kForgedSide, 2);
    putBigEndian(jpeg, sof + 7, kForgedSide, 2);
    BOOST_TEST(jpegSize(jpeg).width == kForgedSide, "the forged header is read as such");
    BOOST_CHECK_EXCEPTION(decodeImage(jpeg), RunError, [](const RunError &e) {
        return messageContains(e, std::string("JPEG ") + kForgedRefusal);
    });
}

BOOST_AUTO_TEST_CASE(read_image_file_names_the_file)
{
    const TempDir dir;
    const Image original = testPicture(40, 30, 9);
    const auto pngPath = dir.path / "frame.png";
    const std::vector<uint8_t> png = encodePng(original);
    std::ofstream(pngPath, std::ios::binary)
        .write(reinterpret_cast<const char *>(png.data()), std::streamsize(png.size()));
    BOOST_TEST(readImageFile(pngPath.string()).rgb == original.rgb);

    const auto missing = (dir.path / "missing.jpg").string();
    BOOST_CHECK_EXCEPTION(readImageFile(missing), RunError, [&](const RunError &e) {
        return messageContains(e, missing + ": cannot open");
    });

    const auto junkPath = dir.path / "junk.jpg";
    std::ofstream(junkPath) << "not an image";
    BOOST_CHECK_EXCEPTION(readImageFile(junkPath.string()), RunError, [&](const RunError &e) {
        return messageContains(e, junkPath.string() + ": not a JPEG, PNG or DNG image");
    });
}
