#include <boost/test/unit_test.hpp>

#include <vector>

#include "camera/yuv420_copy.h"
#include "util/errors.h"

using namespace lockstep;

namespace
{

constexpr unsigned kWidth = 6;
constexpr unsigned kHeight = 4;
constexpr uint8_t kPadding = 0xee;

/* A pipeline's buffer for a 6x4 frame: luma stride 8, every sample numbered so a misplaced one
 * shows; padding bytes kPadding. */
struct Buffer {
    size_t yStride = 8;
    std::vector<uint8_t> y = std::vector<uint8_t>(size_t{8} * kHeight, kPadding);
    std::vector<uint8_t> cb, cr, cbcr;
    size_t cStride = 0;

    explicit Buffer(size_t chromaStride) : cStride(chromaStride)
    {
        for (unsigned row = 0; row < kHeight; ++row)
            for (unsigned x = 0; x < kWidth; ++x)
                y[row * yStride + x] = uint8_t(row * 10 + x);
        cb.assign(cStride * 2, kPadding);
        cr.assign(cStride * 2, kPadding);
        cbcr.assign(yStride * 2, kPadding);
        for (unsigned row = 0; row < 2; ++row)
            for (unsigned x = 0; x < 3; ++x) {
                cb[row * cStride + x] = uint8_t(100 + row * 10 + x);
                cr[row * cStride + x] = uint8_t(200 + row * 10 + x);
                cbcr[row * yStride + size_t{2} * x] = uint8_t(100 + row * 10 + x);
                cbcr[row * yStride + size_t{2} * x + 1] = uint8_t(200 + row * 10 + x);
            }
    }
    YuvPlanes planar() const { return {y.data(), cb.data(), cr.data(), yStride, cStride, 1}; }
    YuvPlanes nv12() const { return {y.data(), cbcr.data(), cbcr.data() + 1, yStride, yStride, 2}; }
};

void checkSamples(const Yuv420Image &image)
{
    BOOST_TEST_REQUIRE((image.width() == kWidth && image.height() == kHeight));
    for (unsigned row = 0; row < kHeight; ++row)
        for (unsigned x = 0; x < kWidth; ++x)
            BOOST_TEST(image.yRow(row)[x] == uint8_t(row * 10 + x));
    for (unsigned row = 0; row < 2; ++row)
        for (unsigned x = 0; x < 3; ++x) {
            BOOST_TEST(image.cbRow(row)[x] == uint8_t(100 + row * 10 + x));
            BOOST_TEST(image.crRow(row)[x] == uint8_t(200 + row * 10 + x));
        }
}

} // namespace

BOOST_AUTO_TEST_CASE(planar_frames_keep_the_pipelines_strides)
{
    const Buffer buffer(5);
    const Yuv420Image image =
        copyYuv420(buffer.planar(), kWidth, kHeight, {YuvMatrix::Rec709, YuvRange::Limited});
    checkSamples(image);
    /* Not repacked: the frame has the pipeline's strides. */
    BOOST_TEST(image.yStride() == 8u);
    BOOST_TEST(image.cStride() == 5u);
    BOOST_TEST((image.encoding() == YuvEncoding{YuvMatrix::Rec709, YuvRange::Limited}));
}

BOOST_AUTO_TEST_CASE(nv12_chroma_is_deinterleaved)
{
    const Buffer buffer(3);
    const Yuv420Image image = copyYuv420(buffer.nv12(), kWidth, kHeight, kJpegYuv);
    checkSamples(image);
    BOOST_TEST(image.yStride() == 8u);
    BOOST_TEST(image.cStride() == 4u); /* planar chroma, rows half the luma stride */
    /* The same frame as planar YUV420 shows the same samples. */
    BOOST_TEST(samePixels(image, copyYuv420(Buffer(3).planar(), kWidth, kHeight, kJpegYuv)));
}

BOOST_AUTO_TEST_CASE(strides_narrower_than_the_frame_are_refused)
{
    Buffer buffer(3);
    YuvPlanes planes = buffer.planar();
    planes.yStride = kWidth - 1;
    BOOST_CHECK_THROW(copyYuv420(planes, kWidth, kHeight, kJpegYuv), RunError);
    planes = buffer.nv12();
    planes.cStride = 5; /* three Cb,Cr pairs need 6 */
    BOOST_CHECK_THROW(copyYuv420(planes, kWidth, kHeight, kJpegYuv), RunError);
}
