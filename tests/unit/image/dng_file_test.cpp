/* A raw frame survives its DNG file exactly: every sample, the mosaic's layout and levels, and
 * the capture facts; a file that is not such a DNG is refused with a reason. */
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <random>
#include <string>

#include "image/dng_file.h"
#include "image/image.h"
#include "util/errors.h"

using namespace lockstep;

namespace
{

RawImage mosaic(unsigned width, unsigned height, unsigned bitDepth, CfaPattern cfa, unsigned seed)
{
    RawImage raw;
    raw.width = width;
    raw.height = height;
    raw.bitDepth = bitDepth;
    raw.cfa = cfa;
    raw.blackLevel = uint16_t(raw.whiteLevel() / 16);
    std::mt19937 random(seed);
    std::uniform_int_distribution<unsigned> value(0, raw.whiteLevel());
    raw.samples.resize(size_t(width) * height);
    for (uint16_t &sample : raw.samples)
        sample = uint16_t(value(random));
    /* Both extremes, wherever the random values fall. */
    raw.samples.front() = 0;
    raw.samples.back() = raw.whiteLevel();
    return raw;
}

DngMetadata metadata()
{
    DngMetadata meta;
    meta.exposure = Microseconds(33'333);
    meta.gain = 2.37;
    meta.camera = "pi02/cam";
    meta.sensorModel = "imx708";
    meta.sensorTimestamp =
        realtimeFromWire(1'796'000'000'123'456'789); /* 2026-11-29, and 123456 us */
    meta.redGain = 1.83456;
    meta.blueGain = 2.1;
    return meta;
}

void checkSame(const RawImage &read, const RawImage &want)
{
    BOOST_CHECK_EQUAL(read.width, want.width);
    BOOST_CHECK_EQUAL(read.height, want.height);
    BOOST_CHECK_EQUAL(read.bitDepth, want.bitDepth);
    BOOST_CHECK(read.cfa == want.cfa);
    BOOST_CHECK_EQUAL(read.blackLevel, want.blackLevel);
    BOOST_REQUIRE_EQUAL(read.samples.size(), want.samples.size());
    BOOST_CHECK(read.samples == want.samples);
}

/* A RunError whose message contains `part`. */
auto mentions(const std::string &part)
{
    return [part](const RunError &e) {
        BOOST_TEST_MESSAGE(e.what());
        return std::string(e.what()).find(part) != std::string::npos;
    };
}

} // namespace

BOOST_AUTO_TEST_CASE(dng_keeps_every_sample_of_each_cfa_pattern_and_bit_depth)
{
    const CfaPattern patterns[] = {CfaPattern::Rggb, CfaPattern::Grbg, CfaPattern::Gbrg,
                                   CfaPattern::Bggr};
    unsigned seed = 1;
    for (const CfaPattern cfa : patterns)
        for (const unsigned bits : {10u, 12u, 16u}) {
            BOOST_TEST_CONTEXT("pattern " << int(cfa) << ", " << bits << " bits")
            {
                /* Odd sizes, and rows wider than one strip's worth, so strips end mid-image. */
                const RawImage raw = mosaic(bits == 16 ? 4099 : 37, 23, bits, cfa, seed++);
                const std::vector<uint8_t> file = encodeDng(raw, metadata());
                BOOST_CHECK(isDng(file));
                checkSame(readDng(file).raw, raw);
            }
        }
}

BOOST_AUTO_TEST_CASE(dng_keeps_the_capture_metadata)
{
    const DngMetadata want = metadata();
    const DngMetadata read = readDng(encodeDng(mosaic(64, 48, 12, CfaPattern::Bggr, 7), want)).meta;
    BOOST_CHECK_EQUAL(read.exposure.count(), want.exposure.count());
    BOOST_CHECK_CLOSE(read.gain, want.gain, 1e-9);
    BOOST_CHECK_EQUAL(read.camera, want.camera);
    BOOST_CHECK_EQUAL(read.sensorModel, want.sensorModel);
    /* To the microsecond. */
    BOOST_CHECK_EQUAL(wireNanos(read.sensorTimestamp), 1'796'000'000'123'456'000);
    BOOST_CHECK_CLOSE(read.redGain, want.redGain, 1e-4);
    BOOST_CHECK_CLOSE(read.blueGain, want.blueGain, 1e-4);
}

BOOST_AUTO_TEST_CASE(dng_exposure_is_exact_to_the_microsecond_up_to_eight_seconds)
{
    const RawImage raw = mosaic(8, 8, 10, CfaPattern::Rggb, 3);
    for (const int64_t us : {int64_t(1), int64_t(100), int64_t(16'667), int64_t(999'999),
                             int64_t(1'234'567), int64_t(7'999'999)}) {
        DngMetadata meta = metadata();
        meta.exposure = Microseconds(us);
        BOOST_CHECK_EQUAL(readDng(encodeDng(raw, meta)).meta.exposure.count(), us);
    }
}

BOOST_AUTO_TEST_CASE(dng_sample_data_is_what_is_read_back)
{
    /* The samples come from the file, not from some other copy: one byte changed in the
     * stored mosaic changes what is read (so a digest of the file guards the frame). */
    RawImage raw = mosaic(16, 16, 12, CfaPattern::Rggb, 5);
    std::fill(raw.samples.begin(), raw.samples.end(), uint16_t(0x0abc));
    std::vector<uint8_t> file = encodeDng(raw, metadata());
    const auto at = std::search_n(file.begin(), file.end(), 2 * 16 * 16, 0,
                                  [](uint8_t a, int) { return a == 0xbc || a == 0x0a; });
    BOOST_REQUIRE(at != file.end());
    at[40] ^= 0x01;
    const RawImage read = readDng(file).raw;
    BOOST_CHECK_EQUAL(std::count(read.samples.begin(), read.samples.end(), uint16_t(0x0abc)),
                      16 * 16 - 1);
}

BOOST_AUTO_TEST_CASE(dng_refuses_an_inconsistent_raw_image)
{
    RawImage raw = mosaic(8, 8, 12, CfaPattern::Rggb, 1);
    raw.samples.pop_back();
    BOOST_CHECK_EXCEPTION(encodeDng(raw, metadata()), RunError, mentions("63 samples"));
    BOOST_CHECK_EXCEPTION(encodeDng(RawImage{}, metadata()), RunError, mentions("no pixels"));
}

BOOST_AUTO_TEST_CASE(dng_reader_refuses_other_files_with_a_reason)
{
    Image picture(16, 16);
    const std::vector<uint8_t> jpeg = encodeJpeg(picture, 90);
    BOOST_CHECK(!isDng(jpeg));
    BOOST_CHECK_EXCEPTION(readDng(jpeg), RunError, mentions("not a TIFF"));
    BOOST_CHECK(!isDng({}));
    BOOST_CHECK_EXCEPTION(readDng({}), RunError, mentions("not a TIFF"));

    const std::vector<uint8_t> dng = encodeDng(mosaic(32, 32, 12, CfaPattern::Rggb, 2), metadata());
    /* libtiff writes IFD0 after the strips: half a file has the header and no directory. */
    const std::vector<uint8_t> truncated(dng.begin(), dng.begin() + ptrdiff_t(dng.size() / 2));
    BOOST_CHECK(!isDng(truncated));
    BOOST_CHECK_EXCEPTION(readDng(truncated), RunError, mentions("not a readable TIFF"));

    /* A TIFF without DNGVersion: its IFD entry (tag 50706 = 0xc612, type BYTE, count 4)
     * renumbered to an unknown tag that keeps the directory sorted. */
    std::vector<uint8_t> tiff = dng;
    const uint8_t entry[] = {0x12, 0xc6, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00};
    const auto at = std::search(tiff.begin(), tiff.end(), std::begin(entry), std::end(entry));
    BOOST_REQUIRE(at != tiff.end());
    at[0] = 0x00;
    at[1] = 0xc0;
    BOOST_CHECK(!isDng(tiff));
    BOOST_CHECK_EXCEPTION(readDng(tiff), RunError, mentions("not a DNG"));
}
