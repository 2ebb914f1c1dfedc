/* The pool writes a frame's raw mosaic as DNG, with how it was taken in the DNG's own tags. */
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>

#include "image/bayer.h"
#include "image/dng_file.h"
#include "scratch_dirs.h"
#include "storage/writer_pool.h"
#include "util/atomic_file.h"
#include "util/errors.h"

using namespace lockstep;
using namespace lockstep::test;

namespace
{

Frame rawFrame()
{
    Frame frame;
    frame.image = Yuv420Image(32, 24);
    std::memset(frame.image.y(), 0, frame.image.bytes());
    for (unsigned y = 0; y < 24; ++y)
        for (unsigned x = 0; x < 32; ++x)
            frame.image.yRow(y)[x] = static_cast<uint8_t>(x * 7 + y);
    std::memset(frame.image.cb(), 128, frame.image.cStride() * frame.image.chromaHeight());
    std::memset(frame.image.cr(), 128, frame.image.cStride() * frame.image.chromaHeight());
    frame.raw = bayerFromYuv(frame.image, CfaPattern::Grbg, 12, 256);
    frame.raw.sensorModel = "simulated";
    frame.raw.redGain = 1.5;
    frame.raw.blueGain = 2.25;
    frame.exposure = Microseconds(4321);
    frame.gain = 2.5;
    frame.sensorTimestamp = realtimeFromWire(1'764'000'000'123'456'789);
    return frame;
}

} // namespace

BOOST_AUTO_TEST_CASE(pool_writes_the_raw_mosaic_as_a_dng_with_its_capture)
{
    const TempDir dir;
    std::mutex mutex;
    std::map<std::string, WriteResult> results;
    const Frame frame = rawFrame();
    {
        WriterPool pool(2, 4, [&](const WriteJob &, const WriteResult &result) {
            const std::lock_guard lock(mutex);
            results[result.path] = result;
        });
        WriteJob job;
        job.frame = frame;
        job.format = ImageFormat::Dng;
        job.camera = "pi01/cam";
        job.path = dir.path() + "/pos-0000/pi01-cam.dng";
        pool.submit(std::move(job));
        pool.drain();
    }
    const std::string path = dir.path() + "/pos-0000/pi01-cam.dng";
    BOOST_REQUIRE(results.count(path) == 1);
    BOOST_TEST(results[path].error == "");
    std::ifstream in(path, std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
    BOOST_TEST(results[path].bytes == bytes.size());
    BOOST_TEST(results[path].sha256 == sha256Hex(bytes));
    BOOST_REQUIRE(isDng(bytes));
    const DngContents dng = readDng(bytes);
    BOOST_TEST(dng.raw.width == 32u);
    BOOST_TEST(dng.raw.height == 24u);
    BOOST_TEST((dng.raw.cfa == CfaPattern::Grbg));
    BOOST_TEST(dng.raw.blackLevel == 256);
    BOOST_TEST(dng.raw.whiteLevel() == 4095);
    BOOST_TEST((dng.raw.samples == frame.raw.samples));
    BOOST_TEST(dng.meta.exposure.count() == 4321);
    BOOST_TEST(dng.meta.gain == 2.5, boost::test_tools::tolerance(0.005));
    BOOST_TEST(dng.meta.camera == "pi01/cam");
    BOOST_TEST(dng.meta.sensorModel == "simulated");
    BOOST_TEST(dng.meta.redGain == 1.5, boost::test_tools::tolerance(0.001));
    BOOST_TEST(dng.meta.blueGain == 2.25, boost::test_tools::tolerance(0.001));
    BOOST_TEST(wireNanos(dng.meta.sensorTimestamp) == 1'764'000'000'123'456'000);
}

BOOST_AUTO_TEST_CASE(a_dng_without_a_raw_frame_fails_its_batch)
{
    const TempDir dir;
    std::string error;
    {
        WriterPool pool(1, 4,
                        [&](const WriteJob &, const WriteResult &result) { error = result.error; });
        WriteJob job;
        job.frame = rawFrame();
        job.frame.raw = RawImage();
        job.format = ImageFormat::Dng;
        job.path = dir.path() + "/x.dng";
        pool.submit(std::move(job));
        BOOST_CHECK_THROW(pool.drain(), RunError);
    }
    BOOST_TEST(error.find("no raw frame") != std::string::npos);
    BOOST_TEST(!std::filesystem::exists(dir.path() + "/x.dng"));
}
