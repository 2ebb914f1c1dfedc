/* Encodes and writes frames on worker threads while the motors move on, through a bounded queue
 * so memory stays bounded (a 1 GB Pi 3B): submit() blocks when the queue is full, so at most
 * maxQueuedJobs + threads frames are held. */
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "camera/camera.h"
#include "config/plan.h"
#include "util/clock.h"

namespace lockstep
{

struct WriteJob {
    Frame frame;
    std::string path; /* final path; written atomically, missing parent folders created */
    ImageFormat format = ImageFormat::Jpeg;
    int jpegQuality = 90;
    std::string camera; /* "node/camera": the EXIF Model of the file (image/capture_exif.h) */
};

struct WriteResult {
    std::string path;
    std::string sha256;
    uint64_t bytes = 0;
    Nanos encodeNs = 0;
    Nanos writeNs = 0;
    std::string error; /* empty on success */
};

class WriterPool
{
public:
    /* Called on a worker thread after each job, in completion order, one call at a time. An
     * exception it throws counts as that job's failure. */
    using Completion = std::function<void(const WriteJob &job, const WriteResult &result)>;

    WriterPool(unsigned threads, size_t maxQueuedJobs, Completion completion);
    /* Drains the queue, then joins. */
    ~WriterPool();

    /* Blocks while the queue is full. Throws RunError if an earlier job failed. */
    void submit(WriteJob job);
    /* Waits until every submitted job is done. Throws RunError with the first failure. */
    void drain();

    /* Jobs waiting for a worker (not counting the ones being written). */
    size_t queuedJobs() const;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace lockstep
