/* Where a rank's frames go: a position's frames are encoded and written by the bounded writer
 * pool while the scan moves on, made durable together (one flush and one directory sync per
 * position, storage/durable_batch.h), and their manifest records are kept until then: a frame
 * is recorded only once it is on disk under its name. takeWritten() hands the finished records
 * to the next exchange. */
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "camera/camera.h"
#include "config/plan.h"
#include "scan/manifest.h"
#include "scan/scan_layout.h"
#include "storage/writer_pool.h"

namespace lockstep
{

class FrameSink
{
public:
    FrameSink(const ScanLayout &layout, const ScanPlan &plan, unsigned threads, size_t queue);

    /* Adds the frame of (position, frame index) taken by node/camera for instant T to the
     * position being collected. */
    void add(unsigned position, unsigned frameIndex, RealtimeInstant T, const std::string &node,
             const std::string &camera, Frame frame);
    /* Queues the frames added since the last call as one batch. Blocks while the writers'
     * queue is full; rethrows a writer's error. */
    void submitPosition();
    /* Submits what was added, then waits until every queued frame is written; rethrows a
     * writer's error. */
    void drain();
    /* The records of the frames written since the last call. */
    std::vector<FrameRecord> takeWritten();

private:
    void written(const WriteJob &job, const WriteResult &result);

    const ScanLayout &layout_;
    const ScanPlan &plan_;
    std::mutex mutex_; /* guards the two below, shared with the writer threads */
    std::map<std::string, FrameRecord> writing_; /* by absolute path */
    std::vector<FrameRecord> written_;
    std::vector<WriteJob> position_;   /* added, not yet submitted */
    std::unique_ptr<WriterPool> pool_; /* last: its threads stop before the maps go */
};

} // namespace lockstep
