#include "scan/frame_sink.h"

#include <filesystem>
#include <utility>

#include "util/atomic_file.h"

namespace lockstep
{

FrameSink::FrameSink(const ScanLayout &layout, const ScanPlan &plan, unsigned threads, size_t queue)
    : layout_(layout), plan_(plan),
      pool_(std::make_unique<WriterPool>(
          threads, queue,
          [this](const WriteJob &job, const WriteResult &result) { written(job, result); }))
{
}

void FrameSink::written(const WriteJob &job, const WriteResult &result)
{
    const std::lock_guard lock(mutex_);
    auto it = writing_.find(job.path);
    if (it == writing_.end())
        return;
    FrameRecord record = std::move(it->second);
    writing_.erase(it);
    if (!result.error.empty())
        return; /* the pool rethrows it from submit()/drain() */
    record.bytes = result.bytes;
    record.sha256 = result.sha256;
    record.encodeMs = FloatMillis(result.encode).count();
    record.writeMs = FloatMillis(result.write).count();
    written_.push_back(std::move(record));
}

void FrameSink::add(unsigned position, unsigned frameIndex, RealtimeInstant T,
                    const std::string &node, const std::string &camera, Frame frame)
{
    FrameRecord record;
    record.position = position;
    record.frame = frameIndex;
    record.node = node;
    record.camera = camera;
    record.file =
        framePath(plan_.outputPattern, position, frameIndex, node, camera, plan_.capture.format);
    record.captureInstant = T;
    record.sensorTimestamp = frame.sensorTimestamp;
    record.exposure = frame.exposure;
    record.gain = frame.gain;
    record.width = frame.image.width();
    record.height = frame.image.height();

    WriteJob job;
    job.path = layout_.file(record.file);
    job.format = plan_.capture.format;
    job.jpegQuality = plan_.capture.jpegQuality;
    job.camera = node + "/" + camera;
    job.frame = std::move(frame);
    makeDirectories(std::filesystem::path(job.path).parent_path().string());
    {
        const std::lock_guard lock(mutex_);
        writing_[job.path] = std::move(record);
    }
    position_.push_back(std::move(job));
}

void FrameSink::submitPosition()
{
    pool_->submit(std::exchange(position_, {}));
}

void FrameSink::drain()
{
    submitPosition();
    pool_->drain();
}

std::vector<FrameRecord> FrameSink::takeWritten()
{
    const std::lock_guard lock(mutex_);
    return std::exchange(written_, {});
}

} // namespace lockstep
