#include "storage/writer_pool.h"

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "image/capture_exif.h"
#include "image/dng_file.h"
#include "image/image.h"
#include "image/jpeg_encoder.h"
#include "image/yuv_to_rgb.h"
#include "storage/durability_stage.h"
#include "storage/durable_directories.h"
#include "util/atomic_file.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

/* The encoded frame and the EXIF of how it was taken, to be written around it. A JPEG comes
 * from the frame's planes into the worker's own buffer (valid until its next frame); a PNG
 * needs RGB, converted here once, on the worker. A DNG is the raw mosaic with its metadata in
 * its own tags (no EXIF to insert). */
struct Encoded {
    std::span<const uint8_t> jpeg; /* in the worker's encoder */
    std::vector<uint8_t> owned;    /* a PNG or a DNG */
    ExifInsert exif;

    std::span<const uint8_t> file() const
    {
        return owned.empty() ? jpeg : std::span<const uint8_t>(owned);
    }
};

/* `jpeg`: the worker's encoder, made at its first JPEG (a failure then fails that frame). The
 * job's frame is the worker's: a JPEG is compressed from its planes where they are, which
 * writes the padding at the end of their rows (JpegEncoder::encodeFrame). */
Encoded encode(WriteJob &job, std::optional<JpegEncoder> &jpeg)
{
    Frame &f = job.frame;
    Encoded out;
    if (job.format == ImageFormat::Dng) {
        if (f.raw.empty())
            throw RunError(job.path + ": the camera delivered no raw frame for the DNG");
        out.owned = encodeDng(f.raw, DngMetadata{
                                         .exposure = f.exposure,
                                         .gain = f.gain,
                                         .camera = job.camera,
                                         .sensorModel = f.raw.sensorModel,
                                         .sensorTimestamp = f.sensorTimestamp,
                                         .redGain = f.raw.redGain,
                                         .blueGain = f.raw.blueGain,
                                     });
        return out;
    }
    if (job.format == ImageFormat::Png) {
        out.owned = encodePng(toRgb(f.image));
    } else {
        if (!jpeg)
            jpeg.emplace();
        out.jpeg = jpeg->encodeFrame(f.image, job.jpegQuality);
    }
    out.exif = exifInsert(
        out.file(), CaptureExif{std::chrono::duration_cast<Microseconds>(f.exposure), f.gain,
                                f.image.width(), f.image.height(), job.camera, f.sensorTimestamp});
    return out;
}

/* Encodes, checksums and stages each frame of a batch into `files`; a failure fails the whole
 * batch (every result gets the error, `files` is dropped: none of it stays). Each frame's pixels
 * are let go once its file is staged, so a batch waiting for the disk holds files, not frames. */
std::vector<WriteResult> stageBatch(std::vector<WriteJob> &batch, std::optional<JpegEncoder> &jpeg,
                                    DurableDirectories &directories, DurableBatch &files)
{
    std::vector<WriteResult> results(batch.size());
    try {
        for (size_t i = 0; i < batch.size(); ++i) {
            WriteResult &result = results[i];
            result.path = batch[i].path;
            const MonotonicInstant start = MonotonicClock::now();
            const Encoded encoded = encode(batch[i], jpeg);
            const MonotonicInstant encodedAt = MonotonicClock::now();
            const auto pieces = encoded.exif.pieces(encoded.file());
            result.sha256 = sha256HexOfPieces(pieces);
            result.bytes = encoded.file().size() + encoded.exif.bytes.size();
            const std::string parent = std::filesystem::path(result.path).parent_path().string();
            if (!parent.empty())
                directories.ensure(parent);
            files.add(result.path, pieces);
            batch[i].frame.image = Yuv420Image();
            batch[i].frame.raw = RawImage();
            result.encode = encodedAt - start;
            result.write = MonotonicClock::now() - encodedAt;
        }
    } catch (const std::exception &e) {
        /* The batch fails whole: none of it is reported written. */
        for (WriteResult &result : results)
            result.error = e.what();
        files = DurableBatch();
    }
    return results;
}

/* A batch between its staging and its completions (it travels to the durability stage). */
struct StagedBatch {
    std::vector<WriteJob> jobs;
    std::vector<WriteResult> results;
    MonotonicInstant handedOver;
};

} // namespace

class WriterPool::Impl
{
public:
    Impl(unsigned threads, size_t maxQueuedJobs, Completion completion, DurableBatch::StepHook hook)
        : maxQueued_(maxQueuedJobs == 0 ? 1 : maxQueuedJobs), completion_(std::move(completion)),
          hook_(std::move(hook)), durability_(threads == 0 ? 1 : threads)
    {
        const unsigned count = threads == 0 ? 1 : threads;
        workers_.reserve(count);
        for (unsigned i = 0; i < count; ++i)
            workers_.emplace_back([this] { work(); });
    }

    ~Impl()
    {
        {
            std::unique_lock lock(mutex_);
            idle_.wait(lock, [this] { return queue_.empty() && active_ == 0; });
            stopping_ = true;
        }
        jobReady_.notify_all();
        for (std::thread &worker : workers_)
            worker.join();
    }

    Impl(const Impl &) = delete;
    Impl &operator=(const Impl &) = delete;

    void submit(std::vector<WriteJob> batch)
    {
        if (batch.empty())
            return;
        std::unique_lock lock(mutex_);
        throwIfFailed();
        spaceFree_.wait(lock, [&] {
            return queuedFrames_ + batch.size() <= maxQueued_ || queue_.empty() || !error_.empty();
        });
        throwIfFailed();
        queuedFrames_ += batch.size();
        queue_.push_back(std::move(batch));
        lock.unlock();
        jobReady_.notify_one();
    }

    void drain()
    {
        std::unique_lock lock(mutex_);
        idle_.wait(lock, [this] { return queue_.empty() && active_ == 0; });
        throwIfFailed();
    }

    size_t queuedJobs() const
    {
        const std::lock_guard lock(mutex_);
        return queuedFrames_;
    }

private:
    void throwIfFailed() const
    {
        if (!error_.empty())
            throw RunError(error_);
    }

    void work()
    {
        std::optional<JpegEncoder> jpeg; /* this thread's, for every frame it encodes */
        for (;;) {
            std::unique_lock lock(mutex_);
            jobReady_.wait(lock, [this] { return !queue_.empty() || stopping_; });
            if (queue_.empty())
                return;
            std::vector<WriteJob> batch = std::move(queue_.front());
            queue_.pop_front();
            queuedFrames_ -= batch.size();
            ++active_;
            lock.unlock();
            spaceFree_.notify_all();

            DurableBatch files(hook_);
            auto staged = std::make_shared<StagedBatch>();
            staged->results = stageBatch(batch, jpeg, directories_, files);
            staged->jobs = std::move(batch);
            if (!staged->results.empty() && !staged->results.front().error.empty()) {
                finish(*staged);
                continue;
            }
            /* The disk's part goes on without this thread: it encodes its next batch. */
            staged->handedOver = MonotonicClock::now();
            durability_.commit(std::move(files), [this, staged](const std::string &error) {
                const Nanoseconds commit = MonotonicClock::now() - staged->handedOver;
                for (WriteResult &result : staged->results) {
                    result.write += commit;
                    if (!error.empty())
                        result.error = error;
                }
                finish(*staged);
            });
        }
    }

    /* Reports a batch's frames (once durable, or failed) and retires it. */
    void finish(StagedBatch &staged)
    {
        std::string error;
        for (size_t i = 0; i < staged.jobs.size(); ++i) {
            WriteResult &result = staged.results[i];
            if (completion_) {
                const std::lock_guard completionLock(completionMutex_);
                try {
                    completion_(staged.jobs[i], result);
                } catch (const std::exception &e) {
                    if (result.error.empty())
                        result.error = staged.jobs[i].path + ": completion failed: " + e.what();
                }
            }
            if (error.empty())
                error = result.error;
        }

        const std::lock_guard lock(mutex_);
        --active_;
        if (!error.empty() && error_.empty()) {
            error_ = error;
            spaceFree_.notify_all(); /* blocked submitters must see the failure */
        }
        if (queue_.empty() && active_ == 0)
            idle_.notify_all();
    }

    const size_t maxQueued_;
    const Completion completion_;
    const DurableBatch::StepHook hook_;
    DurableDirectories directories_; /* the folders frames go into, shared by the workers */

    mutable std::mutex mutex_;
    std::condition_variable jobReady_;
    std::condition_variable spaceFree_;
    std::condition_variable idle_;
    std::deque<std::vector<WriteJob>> queue_;
    size_t queuedFrames_ = 0;
    unsigned active_ = 0;
    bool stopping_ = false;
    std::string error_; /* the first failure; sticky */

    std::mutex completionMutex_;
    /* Destroyed after the workers are joined and before what its callbacks use: at most one
     * batch per worker waits for it, besides the group being committed. */
    DurabilityStage durability_;
    std::vector<std::thread> workers_;
};

WriterPool::WriterPool(unsigned threads, size_t maxQueuedJobs, Completion completion,
                       DurableBatch::StepHook hook)
    : impl_(std::make_unique<Impl>(threads, maxQueuedJobs, std::move(completion), std::move(hook)))
{
}

WriterPool::~WriterPool() = default;

void WriterPool::submit(std::vector<WriteJob> batch)
{
    impl_->submit(std::move(batch));
}

void WriterPool::submit(WriteJob job)
{
    std::vector<WriteJob> batch;
    batch.push_back(std::move(job));
    impl_->submit(std::move(batch));
}

void WriterPool::drain()
{
    impl_->drain();
}

size_t WriterPool::queuedJobs() const
{
    return impl_->queuedJobs();
}

} // namespace lockstep
