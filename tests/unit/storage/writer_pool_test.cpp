#include <boost/test/unit_test.hpp>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "image/capture_exif.h"
#include "image/image.h"
#include "image/yuv_to_rgb.h"
#include "numbered_frame.h"
#include "scratch_dirs.h"
#include "storage/writer_pool.h"
#include "util/atomic_file.h"
#include "util/errors.h"

using namespace lockstep;
using namespace lockstep::test;

namespace
{

WriteJob jobFor(const std::string &dir, unsigned n, ImageFormat format)
{
    WriteJob job;
    job.frame = frameNumber(n, 64, 48); /* padded planes, as a pipeline gives them */
    job.format = format;
    job.path = dir + "/pos-" + std::to_string(n % 3) + "/frame-" + std::to_string(n) +
               (format == ImageFormat::Png ? ".png" : ".jpg");
    return job;
}

/* Holds every completion until opened, so jobs stay in flight while the test fills the queue. */
class Gate
{
public:
    void wait()
    {
        std::unique_lock lock(mutex_);
        opened_.wait(lock, [this] { return open_; });
    }
    void open()
    {
        {
            const std::lock_guard lock(mutex_);
            open_ = true;
        }
        opened_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable opened_;
    bool open_ = false;
};

} // namespace

BOOST_AUTO_TEST_CASE(pool_writes_every_frame_with_its_checksum)
{
    const TempDir dir;
    std::mutex mutex;
    std::map<std::string, WriteResult> results;
    {
        WriterPool pool(3, 4, [&](const WriteJob &, const WriteResult &result) {
            const std::lock_guard lock(mutex);
            results[result.path] = result;
        });
        for (unsigned n = 0; n < 24; ++n)
            pool.submit(jobFor(dir.path(), n, n % 2 ? ImageFormat::Png : ImageFormat::Jpeg));
        pool.drain();
    }
    BOOST_REQUIRE_EQUAL(results.size(), 24u);
    for (const auto &[path, result] : results) {
        BOOST_TEST(result.error.empty(), result.error);
        const std::vector<uint8_t> bytes = readFileBytes(path);
        BOOST_TEST(result.bytes == bytes.size());
        BOOST_TEST(result.sha256 == sha256Hex(bytes), path);
        const Image image = decodeImage(bytes);
        BOOST_TEST((image.width == 64 && image.height == 48), path);
        /* The EXIF written around the encoded frame is in the file, where readers look. */
        const std::optional<CaptureExif> exif = readCaptureExif(bytes);
        BOOST_TEST_REQUIRE(exif.has_value(), path);
        BOOST_TEST((exif->width == 64 && exif->height == 48), path);
    }
    /* PNG is lossless: the decoded pixels are the submitted ones, converted to RGB. */
    BOOST_TEST(readImageFile(dir.path() + "/pos-1/frame-7.png").rgb ==
               toRgb(frameNumber(7, 64, 48).image).rgb);
}

BOOST_AUTO_TEST_CASE(submit_blocks_while_the_queue_is_full)
{
    const TempDir dir;
    Gate gate;
    std::atomic<unsigned> submitted{0};
    std::atomic<size_t> mostQueued{0};
    WriterPool pool(1, 2, [&](const WriteJob &, const WriteResult &) { gate.wait(); });

    std::thread producer([&] {
        for (unsigned n = 0; n < 10; ++n) {
            pool.submit(jobFor(dir.path(), n, ImageFormat::Jpeg));
            ++submitted;
            mostQueued = std::max(mostQueued.load(), pool.queuedJobs());
        }
    });
    /* One job held in its completion (on the durability stage), one staged and waiting for
     * the stage, one staged by the worker that waits to hand it over, two queued: the sixth
     * submit must wait. */
    while (submitted < 5 || pool.queuedJobs() < 2)
        std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    BOOST_TEST(submitted == 5u);
    BOOST_TEST(pool.queuedJobs() == 2u);

    gate.open();
    producer.join();
    pool.drain();
    BOOST_TEST(submitted == 10u);
    BOOST_TEST(mostQueued <= 2u);
    BOOST_TEST(pool.queuedJobs() == 0u);
}

BOOST_AUTO_TEST_CASE(first_failure_is_reported_by_drain_and_submit)
{
    const TempDir dir;
    writeFileAtomic(dir.path() + "/not-a-folder", std::string("x"));
    std::atomic<unsigned> failures{0};
    WriterPool pool(2, 4, [&](const WriteJob &, const WriteResult &result) {
        if (!result.error.empty())
            ++failures;
    });
    pool.submit(jobFor(dir.path(), 0, ImageFormat::Jpeg));
    WriteJob bad = jobFor(dir.path(), 1, ImageFormat::Jpeg);
    bad.path = dir.path() + "/not-a-folder/frame.jpg";
    pool.submit(std::move(bad));

    BOOST_CHECK_EXCEPTION(pool.drain(), RunError, [&](const RunError &e) {
        return std::string(e.what()).find(dir.path() + "/not-a-folder") != std::string::npos;
    });
    BOOST_TEST(failures == 1u);
    BOOST_CHECK_THROW(pool.submit(jobFor(dir.path(), 2, ImageFormat::Jpeg)), RunError);
    BOOST_TEST(readFileBytes(dir.path() + "/pos-0/frame-0.jpg").size() > 0u);
}

BOOST_AUTO_TEST_CASE(an_exception_from_the_completion_fails_that_job)
{
    const TempDir dir;
    WriterPool pool(1, 2, [](const WriteJob &, const WriteResult &) {
        throw std::runtime_error("manifest full");
    });
    pool.submit(jobFor(dir.path(), 0, ImageFormat::Jpeg));
    BOOST_CHECK_EXCEPTION(pool.drain(), RunError, [](const RunError &e) {
        return std::string(e.what()).find("completion failed: manifest full") != std::string::npos;
    });
}
