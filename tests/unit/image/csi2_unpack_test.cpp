/* Raw buffers as a Pi's sensors deliver them unpack to the photosite values that were packed. */
#include <boost/test/unit_test.hpp>

#include <vector>

#include "image/csi2_unpack.h"
#include "util/errors.h"

using namespace lockstep;

BOOST_AUTO_TEST_SUITE(csi2_unpack)

BOOST_AUTO_TEST_CASE(layouts_from_pixel_format_names)
{
    const auto a = rawLayoutOf("SBGGR10_CSI2P");
    BOOST_REQUIRE(a.has_value());
    BOOST_TEST((a->cfa == CfaPattern::Bggr));
    BOOST_TEST(a->bits == 10u);
    BOOST_TEST(a->packed);
    const auto b = rawLayoutOf("SGRBG12_CSI2P");
    BOOST_REQUIRE(b.has_value());
    BOOST_TEST((b->cfa == CfaPattern::Grbg));
    BOOST_TEST(b->bits == 12u);
    const auto c = rawLayoutOf("SRGGB16");
    BOOST_REQUIRE(c.has_value());
    BOOST_TEST(!c->packed);
    BOOST_TEST(!rawLayoutOf("PISP_COMP1").has_value());
    BOOST_TEST(!rawLayoutOf("YUV420").has_value());
    BOOST_TEST(!rawLayoutOf("SRGGB8").has_value());
}

BOOST_AUTO_TEST_CASE(ten_bit_packed_with_stride_padding)
{
    /* 6 photosites: one whole group of four and half a group; stride padded to 16. */
    const uint16_t values[] = {0x3ff, 0x001, 0x2aa, 0x155, 0x200, 0x0ff};
    std::vector<uint8_t> data(32, 0xee);
    for (unsigned y = 0; y < 2; ++y) {
        uint8_t *row = data.data() + size_t(16) * y;
        for (unsigned x = 0; x < 6; ++x) {
            uint8_t *group = row + size_t(x / 4) * 5;
            group[x % 4] = uint8_t(values[x] >> 2);
            if (x % 4 == 0)
                group[4] = 0;
            group[4] |= uint8_t((values[x] & 3) << (2 * (x % 4)));
        }
        row[7] = row[8] = 0; /* the unused half of the second group */
    }
    const RawLayout layout = *rawLayoutOf("SRGGB10_CSI2P");
    BOOST_TEST(rawRowBytes(layout, 6) == 10u);
    const RawImage raw = unpackRaw(data, 6, 2, 16, layout, 64);
    for (unsigned y = 0; y < 2; ++y)
        for (unsigned x = 0; x < 6; ++x)
            BOOST_TEST(raw.samples[size_t(y) * 6 + x] == values[x], "x " << x << " y " << y);
    BOOST_TEST(raw.blackLevel == 64u);
    BOOST_TEST(raw.whiteLevel() == 1023u);
    BOOST_TEST(raw.bitDepth == 10u);
}

BOOST_AUTO_TEST_CASE(twelve_bit_packed)
{
    const uint16_t values[] = {0xfff, 0x123, 0x800, 0x00f};
    std::vector<uint8_t> data(6);
    for (unsigned x = 0; x < 4; ++x) {
        uint8_t *group = data.data() + size_t(x / 2) * 3;
        group[x % 2] = uint8_t(values[x] >> 4);
        group[2] |= uint8_t((values[x] & 15) << (4 * (x % 2)));
    }
    const RawImage raw = unpackRaw(data, 4, 1, 6, *rawLayoutOf("SGBRG12_CSI2P"), 256);
    for (unsigned x = 0; x < 4; ++x)
        BOOST_TEST(raw.samples[x] == values[x], "x " << x);
    BOOST_TEST((raw.cfa == CfaPattern::Gbrg));
}

BOOST_AUTO_TEST_CASE(sixteen_bit_little_endian_with_stride)
{
    /* 3 photosites of 2 bytes, stride 8: the padding must not be read as a sample. */
    const std::vector<uint8_t> data = {0x34, 0x12, 0xff, 0xff, 0x00, 0x80, 0xaa,
                                       0xaa, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00};
    const RawImage raw = unpackRaw(data, 3, 2, 8, *rawLayoutOf("SBGGR16"), 4096);
    const std::vector<uint16_t> expected = {0x1234, 0xffff, 0x8000, 1, 2, 3};
    BOOST_TEST(raw.samples == expected, boost::test_tools::per_element());
    BOOST_TEST(raw.bitDepth == 16u);
    BOOST_TEST(raw.blackLevel == 4096u);
}

BOOST_AUTO_TEST_CASE(short_buffers_are_refused)
{
    const std::vector<uint8_t> data(9);
    const RawLayout layout = *rawLayoutOf("SRGGB10_CSI2P");
    BOOST_CHECK_THROW(unpackRaw(data, 8, 1, 10, layout, 64), RunError);
    BOOST_CHECK_THROW(unpackRaw(data, 4, 2, 4, layout, 64), RunError); /* stride < row */
    BOOST_CHECK_NO_THROW(unpackRaw(std::vector<uint8_t>(10), 8, 1, 10, layout, 64));
    /* A black level at the white level leaves no signal: a wrong scale, not a picture. */
    BOOST_CHECK_THROW(unpackRaw(std::vector<uint8_t>(10), 8, 1, 10, layout, 1023), RunError);
}

BOOST_AUTO_TEST_SUITE_END()
