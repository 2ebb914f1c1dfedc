#include "scan/frame_sink.h"

#include <algorithm>
#include <iterator>
#include <utility>

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
    /* One file, one record and one write job per format. The picture and the mosaic leave
     * the frame once: the last JPEG or PNG job takes the picture, the DNG job the mosaic. */
    Yuv420Image picture = std::exchange(frame.image, {});
    RawImage mosaic = std::exchange(frame.raw, {});
    const Frame &metadata = frame; /* timestamps, exposure, gain: copied into every job */
    const std::vector<ImageFormat> &formats = plan_.capture.formats;
    const auto lastPicture = std::find_if(formats.rbegin(), formats.rend(),
                                          [](ImageFormat f) { return f != ImageFormat::Dng; });
    for (auto it = formats.begin(); it != formats.end(); ++it) {
        const ImageFormat format = *it;
        const bool raw = format == ImageFormat::Dng;
        FrameRecord record;
        record.position = position;
        record.frame = frameIndex;
        record.node = node;
        record.camera = camera;
        record.file = framePath(plan_.outputPattern, position, frameIndex, node, camera, format);
        record.captureInstant = T;
        record.sensorTimestamp = metadata.sensorTimestamp;
        record.exposure = metadata.exposure;
        record.gain = metadata.gain;
        record.width = raw ? mosaic.width : picture.width();
        record.height = raw ? mosaic.height : picture.height();

        WriteJob job;
        job.path = layout_.file(record.file);
        job.format = format;
        job.jpegQuality = plan_.capture.jpegQuality;
        job.camera = node + "/" + camera;
        job.frame = metadata;
        /* At most one DNG; a JPEG and a PNG of one frame share the picture. */
        if (raw)
            job.frame.raw = std::exchange(mosaic, {});
        else if (lastPicture != formats.rend() && it == std::prev(lastPicture.base()))
            job.frame.image = std::exchange(picture, {});
        else
            job.frame.image = picture;
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
