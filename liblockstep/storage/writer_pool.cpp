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

/* Encodes, checksums and writes one frame; failures end up in result.error. */
WriteResult runJob(const WriteJob &job)
{
    WriteResult result;
    result.path = job.path;
    try {
        const Nanos start = monotonicNow();
        const std::vector<uint8_t> bytes = encode(job);
        const Nanos encoded = monotonicNow();
        result.sha256 = sha256Hex(bytes);
        result.bytes = bytes.size();

        const std::string parent = std::filesystem::path(job.path).parent_path().string();
        if (!parent.empty())
            makeDirectories(parent);
        writeFileAtomic(job.path, bytes);
        result.encodeNs = encoded - start;
        result.writeNs = monotonicNow() - encoded;
    } catch (const std::exception &e) {
        result.error = e.what();
    }
    return result;
}

} // namespace

class WriterPool::Impl
{
public:
    Impl(unsigned threads, size_t maxQueuedJobs, Completion completion)
        : maxQueued_(maxQueuedJobs == 0 ? 1 : maxQueuedJobs), completion_(std::move(completion))
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

    void submit(WriteJob job)
    {
        std::unique_lock lock(mutex_);
        throwIfFailed();
        spaceFree_.wait(lock, [this] { return queue_.size() < maxQueued_ || !error_.empty(); });
        throwIfFailed();
        queue_.push_back(std::move(job));
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
        return queue_.size();
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
            const WriteJob job = std::move(queue_.front());
            queue_.pop_front();
            ++active_;
            lock.unlock();
            spaceFree_.notify_one();

            WriteResult result = runJob(job);
            if (completion_) {
                const std::lock_guard completionLock(completionMutex_);
                try {
                    completion_(job, result);
                } catch (const std::exception &e) {
                    if (result.error.empty())
                        result.error = job.path + ": completion failed: " + e.what();
                }
            }

            lock.lock();
            --active_;
            if (!result.error.empty() && error_.empty()) {
                error_ = result.error;
                spaceFree_.notify_all(); /* blocked submitters must see the failure */
            }
            if (queue_.empty() && active_ == 0)
                idle_.notify_all();
        }
    }

    const size_t maxQueued_;
    const Completion completion_;

    mutable std::mutex mutex_;
    std::condition_variable jobReady_;
    std::condition_variable spaceFree_;
    std::condition_variable idle_;
    std::deque<WriteJob> queue_;
    unsigned active_ = 0;
    bool stopping_ = false;
    std::string error_; /* the first failure; sticky */

    std::mutex completionMutex_;
    std::vector<std::thread> workers_;
};

WriterPool::WriterPool(unsigned threads, size_t maxQueuedJobs, Completion completion)
    : impl_(std::make_unique<Impl>(threads, maxQueuedJobs, std::move(completion)))
{
}

WriterPool::~WriterPool() = default;

void WriterPool::submit(WriteJob job)
{
    impl_->submit(std::move(job));
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
