/* Encodes and writes frames on worker threads while the motors move on, through a bounded queue
 * so memory stays bounded (a 1 GB Pi 3B): submit() blocks when the queue is full, so at most
 * maxQueuedJobs frames wait, besides the batches being written.
 *
 * Frames go in batches (a scan position's): one worker encodes a batch's frames and stages each
 * under a temporary name, then hands the batch to the durability stage (its own thread,
 * storage/durability_stage.h) and goes on encoding while the stage makes the batch durable
 * (storage/durable_batch.h, several batches as one group when the disk lags) and only then
 * reports each frame to the completion: a frame reported is on disk under its name. */
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "camera/camera.h"
#include "config/plan.h"
#include "storage/durable_batch.h"
#include "util/chrono_clocks.h"

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
    Nanoseconds encode{0};
    Nanoseconds write{0}; /* staging this file, then waiting for its batch to be durable */
    std::string error;    /* empty on success */
};

class WriterPool
{
public:
    /* Called after each job, in completion order, one call at a time: on the durability
     * stage's thread once the job's file is durable, or on a worker's when the job failed
     * before it was staged. An exception it throws counts as that job's failure. The job's
     * frame has no pixels by then (they are released as soon as the file is staged). */
    using Completion = std::function<void(const WriteJob &job, const WriteResult &result)>;

    /* `hook`: see DurableBatch (tests that stop a writer between two steps). */
    WriterPool(unsigned threads, size_t maxQueuedJobs, Completion completion,
               DurableBatch::StepHook hook = {});
    /* Drains the queue, then joins. */
    ~WriterPool();

    /* Blocks while the queue is full (a batch larger than the queue waits for it to be empty).
     * Besides the queue, each worker holds one batch, and up to one staged batch per worker
     * (files, no pixels) waits for the durability stage.
     * Throws RunError if an earlier job failed. */
    void submit(std::vector<WriteJob> batch);
    /* A batch of one. */
    void submit(WriteJob job);
    /* Waits until every submitted job is done. Throws RunError with the first failure. */
    void drain();

    /* Frames waiting for a worker (not counting the batches being written). */
    size_t queuedJobs() const;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace lockstep
