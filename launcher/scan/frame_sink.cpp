#include "scan/frame_sink.h"

#include <algorithm>
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
    /* One file, one record and one write job per format; the JPEG or PNG job takes the
     * picture, the DNG job the mosaic, so neither is copied. */
    const std::vector<ImageFormat> &formats = plan_.capture.formats;
    for (size_t i = 0; i < formats.size(); ++i) {
        const ImageFormat format = formats[i];
        FrameRecord record;
        record.position = position;
        record.frame = frameIndex;
        record.node = node;
        record.camera = camera;
        record.file = framePath(plan_.outputPattern, position, frameIndex, node, camera, format);
        record.captureInstant = T;
        record.sensorTimestamp = frame.sensorTimestamp;
        record.exposure = frame.exposure;
        record.gain = frame.gain;
        const bool raw = format == ImageFormat::Dng;
        record.width = raw ? frame.raw.width : frame.image.width();
        record.height = raw ? frame.raw.height : frame.image.height();

        WriteJob job;
        job.path = layout_.file(record.file);
        job.format = format;
        job.jpegQuality = plan_.capture.jpegQuality;
        job.camera = node + "/" + camera;
        if (i + 1 == formats.size()) {
            job.frame = std::move(frame);
        } else {
            job.frame.sensorTimestamp = frame.sensorTimestamp;
            job.frame.exposure = frame.exposure;
            job.frame.readout = frame.readout;
            job.frame.gain = frame.gain;
            job.frame.sequence = frame.sequence;
            /* At most one DNG; a JPEG and a PNG of one frame share the picture. */
            const bool pictureLater =
                std::any_of(formats.begin() + i + 1, formats.end(),
                            [](ImageFormat later) { return later != ImageFormat::Dng; });
            if (raw)
                job.frame.raw = std::move(frame.raw);
            else if (pictureLater)
                job.frame.image = frame.image;
            else
                job.frame.image = std::move(frame.image);
        }
        makeDirectories(std::filesystem::path(job.path).parent_path().string());
        {
            const std::lock_guard lock(mutex_);
            writing_[job.path] = std::move(record);
        }
        position_.push_back(std::move(job));
    }
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
