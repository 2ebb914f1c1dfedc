#include "storage/writer_pool.h"

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "image/capture_exif.h"
#include "image/image.h"
#include "util/atomic_file.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

/* The encoded frame with how it was taken in its EXIF. */
std::vector<uint8_t> encode(const WriteJob &job)
{
    const Frame &f = job.frame;
    const std::vector<uint8_t> encoded =
        job.format == ImageFormat::Png ? encodePng(f.image) : encodeJpeg(f.image, job.jpegQuality);
    return withExif(encoded,
                    CaptureExif{std::chrono::duration_cast<Microseconds>(f.exposure), f.gain,
                                f.image.width, f.image.height, job.camera, f.sensorTimestamp});
}

/* Encodes, checksums and stages each frame of a batch, then commits the batch: every result
 * has an error or is durable. */
std::vector<WriteResult> runBatch(const std::vector<WriteJob> &batch,
                                  const DurableBatch::StepHook &hook)
{
    std::vector<WriteResult> results(batch.size());
    DurableBatch files(hook);
    try {
        for (size_t i = 0; i < batch.size(); ++i) {
            WriteResult &result = results[i];
            result.path = batch[i].path;
            const MonotonicInstant start = MonotonicClock::now();
            const std::vector<uint8_t> bytes = encode(batch[i]);
            const MonotonicInstant encoded = MonotonicClock::now();
            result.sha256 = sha256Hex(bytes);
            result.bytes = bytes.size();
            const std::string parent = std::filesystem::path(result.path).parent_path().string();
            if (!parent.empty())
                makeDirectories(parent);
            files.add(result.path, bytes);
            result.encode = encoded - start;
            result.write = MonotonicClock::now() - encoded;
        }
        const MonotonicInstant commitStart = MonotonicClock::now();
        files.commit();
        const Nanoseconds commit = MonotonicClock::now() - commitStart;
        for (WriteResult &result : results)
            result.write += commit;
    } catch (const std::exception &e) {
        /* The batch fails whole: none of it is reported written. */
        for (WriteResult &result : results)
            result.error = e.what();
    }
    return results;
}

} // namespace

class WriterPool::Impl
{
public:
    Impl(unsigned threads, size_t maxQueuedJobs, Completion completion, DurableBatch::StepHook hook)
        : maxQueued_(maxQueuedJobs == 0 ? 1 : maxQueuedJobs), completion_(std::move(completion)),
          hook_(std::move(hook))
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
        for (;;) {
            std::unique_lock lock(mutex_);
            jobReady_.wait(lock, [this] { return !queue_.empty() || stopping_; });
            if (queue_.empty())
                return;
            const std::vector<WriteJob> batch = std::move(queue_.front());
            queue_.pop_front();
            queuedFrames_ -= batch.size();
            ++active_;
            lock.unlock();
            spaceFree_.notify_all();

            std::vector<WriteResult> results = runBatch(batch, hook_);
            std::string error;
            for (size_t i = 0; i < batch.size(); ++i) {
                WriteResult &result = results[i];
                if (completion_) {
                    const std::lock_guard completionLock(completionMutex_);
                    try {
                        completion_(batch[i], result);
                    } catch (const std::exception &e) {
                        if (result.error.empty())
                            result.error = batch[i].path + ": completion failed: " + e.what();
                    }
                }
                if (error.empty())
                    error = result.error;
            }

            lock.lock();
            --active_;
            if (!error.empty() && error_.empty()) {
                error_ = error;
                spaceFree_.notify_all(); /* blocked submitters must see the failure */
            }
            if (queue_.empty() && active_ == 0)
                idle_.notify_all();
        }
    }

    const size_t maxQueued_;
    const Completion completion_;
    const DurableBatch::StepHook hook_;

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
