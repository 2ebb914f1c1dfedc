#include "camera/libcamera_camera.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>

#include <libcamera/libcamera.h>
#include <libcamera/version.h>
#include <linux/dma-buf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "camera/camera_manager.h"
#include "util/errors.h"

#define LOCKSTEP_LIBCAMERA_AT_LEAST(major, minor)                                                  \
    (LIBCAMERA_VERSION_MAJOR > (major) ||                                                          \
     (LIBCAMERA_VERSION_MAJOR == (major) && LIBCAMERA_VERSION_MINOR >= (minor)))

namespace lockstep
{

namespace
{

namespace lc = libcamera;

constexpr int64_t kMinFrameDurationUs = 33'333;
/* Enough buffers that the sensor never starves while one frame is being copied out. */
constexpr unsigned kBufferCount = 3;
constexpr Nanos kFrameTimeout = 2 * kNanosPerSecond;
constexpr Nanos kAlignTolerance = 2'000'000;

/* CLOCK_REALTIME - CLOCK_MONOTONIC now, bracketing the realtime read. Measured per frame:
 * chrony slews the realtime clock, so an offset taken once at start would drift. */
Nanos realtimeOffset()
{
    const Nanos before = monotonicNow();
    const Nanos real = realtimeNow();
    const Nanos after = monotonicNow();
    return real - (before + (after - before) / 2);
}

/* Byte positions of R, G, B and the pixel size for the RGB formats we accept. DRM fourcc names
 * describe a little-endian word: BGR888 is R,G,B in memory. */
struct PixelLayout {
    unsigned r;
    unsigned g;
    unsigned b;
    unsigned bytes;
};

std::optional<PixelLayout> layoutOf(const lc::PixelFormat &format)
{
    if (format == lc::formats::BGR888)
        return PixelLayout{0, 1, 2, 3};
    if (format == lc::formats::RGB888)
        return PixelLayout{2, 1, 0, 3};
    if (format == lc::formats::XBGR8888)
        return PixelLayout{0, 1, 2, 4};
    if (format == lc::formats::XRGB8888)
        return PixelLayout{2, 1, 0, 4};
    return std::nullopt;
}

void syncDmabuf(int fd, uint64_t flags)
{
    dma_buf_sync sync{};
    sync.flags = flags | DMA_BUF_SYNC_READ;
    while (ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync) != 0 && errno == EINTR) {
    }
}

} // namespace

LibcameraCamera::LibcameraCamera(const CameraConfig &camera)
    : name_(camera.name), rotation_(camera.rotation)
{
    manager_ = sharedCameraManager();
    if (!camera.id.empty()) {
        camera_ = manager_->get(camera.id);
    } else if (camera.index >= 0) {
        const auto cameras = manager_->cameras();
        if (size_t(camera.index) < cameras.size())
            camera_ = cameras[size_t(camera.index)];
    }
    if (!camera_) {
        const std::string which = camera.id.empty() ? "at index " + std::to_string(camera.index)
                                                    : "\"" + camera.id + "\"";
        throw RunError("no camera " + which + " found for " + camera.name + "; libcamera sees " +
                       describeCameras(*manager_));
    }
    if (camera_->acquire() != 0)
        throw RunError("camera " + name_ + " (" + camera_->id() + ") is in use by another process");
}

LibcameraCamera::~LibcameraCamera()
{
    /* libcamera's order: stop, free the buffers, release, drop the camera, then the manager. */
    stop();
    camera_->release();
    camera_.reset();
    manager_.reset();
}

void LibcameraCamera::applyConfiguration(const CaptureSettings &settings)
{
    config_ = camera_->generateConfiguration({lc::StreamRole::StillCapture});
    if (!config_ || config_->empty())
        throw RunError("camera " + name_ + " offers no still capture stream");
    lc::StreamConfiguration &stream = config_->at(0);
    stream.pixelFormat = lc::formats::BGR888;
    stream.size = lc::Size(settings.width, settings.height);
    stream.bufferCount = std::max(stream.bufferCount, kBufferCount);
#if LOCKSTEP_LIBCAMERA_AT_LEAST(0, 2)
    config_->orientation = rotation_ == 180 ? lc::Orientation::Rotate180 : lc::Orientation::Rotate0;
#else
    config_->transform = rotation_ == 180 ? lc::Transform::Rot180 : lc::Transform::Identity;
#endif
    if (config_->validate() == lc::CameraConfiguration::Invalid)
        throw RunError("camera " + name_ + " rejects a " + std::to_string(settings.width) + "x" +
                       std::to_string(settings.height) + " RGB still configuration");
    if (stream.size != lc::Size(settings.width, settings.height))
        throw RunError("camera " + name_ + " cannot deliver " + std::to_string(settings.width) +
                       "x" + std::to_string(settings.height) + " (it offers " +
                       stream.size.toString() + ")");
    if (!layoutOf(stream.pixelFormat))
        throw RunError("camera " + name_ + " offers " + stream.pixelFormat.toString() +
                       ", not 8-bit RGB");
#if LOCKSTEP_LIBCAMERA_AT_LEAST(0, 2)
    const bool rotated = config_->orientation == lc::Orientation::Rotate180;
#else
    const bool rotated = config_->transform == lc::Transform::Rot180;
#endif
    if (rotated != (rotation_ == 180))
        throw RunError("camera " + name_ + " cannot rotate its image by " +
                       std::to_string(rotation_) + " degrees");
    if (camera_->configure(config_.get()) != 0)
        throw RunError("camera " + name_ + " failed to apply its configuration");
    stream_ = stream.stream();
}

void LibcameraCamera::mapBuffers()
{
    allocator_ = std::make_unique<lc::FrameBufferAllocator>(camera_);
    if (allocator_->allocate(stream_) < 0)
        throw RunError("camera " + name_ + ": cannot allocate frame buffers");
    for (const std::unique_ptr<lc::FrameBuffer> &buffer : allocator_->buffers(stream_)) {
        std::unique_ptr<lc::Request> request = camera_->createRequest();
        if (!request || request->addBuffer(stream_, buffer.get()) != 0)
            throw RunError("camera " + name_ + ": cannot create a capture request");
        requests_.push_back(std::move(request));
        /* Planes often share one dmabuf at different offsets: map each buffer once, whole. */
        for (const lc::FrameBuffer::Plane &plane : buffer->planes()) {
            const int fd = plane.fd.get();
            if (mappings_.count(fd))
                continue;
            const off_t size = lseek(fd, 0, SEEK_END);
            void *data =
                size > 0 ? mmap(nullptr, size_t(size), PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
            if (data == MAP_FAILED)
                throw RunError("camera " + name_ +
                               ": cannot map a frame buffer: " + std::strerror(errno));
            mappings_[fd] = std::span<uint8_t>(static_cast<uint8_t *>(data), size_t(size));
        }
    }
}

SensorMode LibcameraCamera::configure(const CaptureSettings &settings)
{
    stop();
    settings_ = settings;
    SensorMode mode;
    mode.minFrameDuration = std::max(kMinFrameDurationUs, settings.exposureUs) * 1000;
    return mode;
}

void LibcameraCamera::start(const FrameGrid &grid, const LockOptions &)
{
    stop();
    const CaptureSettings &settings = settings_;
    try {
        applyConfiguration(settings);
        mapBuffers();

        frameDurationUs_ = grid.period / 1000;
        lc::ControlList controls(lc::controls::controls);
#if LOCKSTEP_LIBCAMERA_AT_LEAST(0, 5)
        controls.set(lc::controls::ExposureTimeMode, lc::controls::ExposureTimeModeManual);
        controls.set(lc::controls::AnalogueGainMode, lc::controls::AnalogueGainModeManual);
#else
        controls.set(lc::controls::AeEnable, false);
#endif
        controls.set(lc::controls::ExposureTime, int32_t(settings.exposureUs));
        controls.set(lc::controls::AnalogueGain, float(settings.gain));
        const std::array<int64_t, 2> duration{frameDurationUs_, frameDurationUs_};
        controls.set(lc::controls::FrameDurationLimits, lc::Span<const int64_t, 2>(duration));

        camera_->requestCompleted.connect(this, &LibcameraCamera::requestCompleted);
        if (camera_->start(&controls) != 0)
            throw RunError("camera " + name_ + " failed to start streaming");
        running_ = true;
        const std::lock_guard lock(mutex_);
        for (const auto &request : requests_) {
            if (camera_->queueRequest(request.get()) != 0)
                throw RunError("camera " + name_ + ": cannot queue a capture request");
            ++inFlight_;
        }
    } catch (...) {
        stop();
        throw;
    }
}

void LibcameraCamera::stop()
{
    if (running_) {
        camera_->stop(); /* completes every queued request as cancelled */
        running_ = false;
    }
    camera_->requestCompleted.disconnect(this);
    {
        const std::lock_guard lock(mutex_);
        completed_.clear();
        durationsToApply_.clear();
        inFlight_ = 0;
        lastSensorStart_ = 0;
        measuredPeriod_ = 0;
        failure_.clear();
    }
    requests_.clear();
    for (const auto &[fd, mapping] : mappings_)
        munmap(mapping.data(), mapping.size());
    mappings_.clear();
    if (allocator_ && stream_)
        allocator_->free(stream_);
    allocator_.reset();
}

/* On libcamera's thread: never block here, only hand over. */
void LibcameraCamera::requestCompleted(lc::Request *request)
{
    if (request->status() == lc::Request::RequestCancelled)
        return;
    const std::lock_guard lock(mutex_);
    --inFlight_;
    const lc::FrameBuffer *buffer = request->buffers().begin()->second;
    const auto timestamp = request->metadata().get(lc::controls::SensorTimestamp);
    if (request->status() != lc::Request::RequestComplete ||
        buffer->metadata().status != lc::FrameMetadata::FrameSuccess || !timestamp) {
        requeue(request); /* a failed or start-up frame is no frame */
        return;
    }
    /* SensorTimestamp marks the start of readout (frame start): the first row's exposure began
     * one exposure time earlier. */
    const int64_t exposureUs =
        request->metadata().get(lc::controls::ExposureTime).value_or(int32_t(settings_.exposureUs));
    const Nanos start = *timestamp - exposureUs * 1000;
    if (lastSensorStart_ != 0)
        measuredPeriod_ = start - lastSensorStart_;
    lastSensorStart_ = start;
    completed_.push_back({request, start});
    /* Only the newest frame waits for a consumer; older ones go straight back to the sensor. */
    while (completed_.size() > 1) {
        requeue(completed_.front().request);
        completed_.pop_front();
    }
    frameReady_.notify_all();
}

/* Called with mutex_ held. */
void LibcameraCamera::requeue(lc::Request *request)
{
    request->reuse(lc::Request::ReuseBuffers);
    if (!durationsToApply_.empty()) {
        const std::array<int64_t, 2> duration{durationsToApply_.front(), durationsToApply_.front()};
        request->controls().set(lc::controls::FrameDurationLimits,
                                lc::Span<const int64_t, 2>(duration));
        durationsToApply_.pop_front();
    }
    if (camera_->queueRequest(request) != 0)
        failure_ = "cannot re-queue a capture request";
    else
        ++inFlight_;
}

void LibcameraCamera::scheduleStart(Nanos startMono)
{
    if (!camera_->controls().count(&lc::controls::FrameDurationLimits))
        return; /* the sensor cannot be shifted: take the first frame at or after the instant */
    const std::lock_guard lock(mutex_);
    const Nanos period = measuredPeriod_ > 0 ? measuredPeriod_ : frameDurationUs_ * 1000;
    if (lastSensorStart_ == 0)
        return;
    /* Frames already queued keep their timing; stretching the next re-queued one delays every
     * later frame by `delay`, so frame `k` then starts exactly at startMono. */
    const Nanos gap = startMono - lastSensorStart_;
    const Nanos k = gap / period;
    const Nanos delay = gap - k * period;
    if (gap < 0 || k < Nanos(inFlight_) + 2 || delay < kAlignTolerance)
        return;
    durationsToApply_ = {frameDurationUs_ + delay / 1000, frameDurationUs_};
}

LibcameraCamera::Completed LibcameraCamera::waitForFrame(Nanos notBefore)
{
    std::unique_lock lock(mutex_);
    for (;;) {
        const Nanos wait = std::max<Nanos>(0, notBefore - monotonicNow()) + kFrameTimeout;
        if (!frameReady_.wait_for(lock, std::chrono::nanoseconds(wait),
                                  [this] { return !completed_.empty() || !failure_.empty(); }))
            throw RunError("camera " + name_ + " delivered no frame in time");
        if (!failure_.empty())
            throw RunError("camera " + name_ + ": " + failure_);
        const Completed frame = completed_.front();
        completed_.pop_front();
        if (frame.sensorStart >= notBefore)
            return frame;
        requeue(frame.request);
    }
}

Frame LibcameraCamera::toFrame(const Completed &completed)
{
    lc::Request *request = completed.request;
    const lc::FrameBuffer *buffer = request->buffers().begin()->second;
    const lc::StreamConfiguration &stream = config_->at(0);
    const PixelLayout layout = *layoutOf(stream.pixelFormat);
    const lc::FrameBuffer::Plane &plane = buffer->planes()[0];
    const int fd = plane.fd.get();
    const uint8_t *data = mappings_.at(fd).data() + plane.offset;

    Frame frame;
    frame.image = Image(stream.size.width, stream.size.height);
    syncDmabuf(fd, DMA_BUF_SYNC_START);
    for (unsigned y = 0; y < stream.size.height; ++y) {
        const uint8_t *in = data + size_t(y) * stream.stride;
        uint8_t *out = frame.image.pixel(0, y);
        for (unsigned x = 0; x < stream.size.width; ++x, in += layout.bytes, out += 3) {
            out[0] = in[layout.r];
            out[1] = in[layout.g];
            out[2] = in[layout.b];
        }
    }
    syncDmabuf(fd, DMA_BUF_SYNC_END);

    const lc::ControlList &metadata = request->metadata();
    frame.sensorTimestamp = completed.sensorStart + realtimeOffset();
    frame.exposureUs =
        metadata.get(lc::controls::ExposureTime).value_or(int32_t(settings_.exposureUs));
    frame.gain = metadata.get(lc::controls::AnalogueGain).value_or(float(settings_.gain));
    frame.sequence = buffer->metadata().sequence;

    const std::lock_guard lock(mutex_);
    requeue(request);
    return frame;
}

Frame LibcameraCamera::captureNext()
{
    if (!running_)
        throw RunError("camera " + name_ + " is not started");
    {
        /* A frame that completed before the call is not "next". */
        const std::lock_guard lock(mutex_);
        for (const Completed &stale : completed_)
            requeue(stale.request);
        completed_.clear();
    }
    return toFrame(waitForFrame(std::numeric_limits<Nanos>::min()));
}

Nanos LibcameraCamera::leadTime() const
{
    /* scheduleStart() stretches the first request re-queued after the call; every buffer
     * in flight, and the frame being exposed, keep their timing. */
    const Nanos period = measuredPeriod_ > 0 ? measuredPeriod_ : frameDurationUs_ * 1000;
    return (Nanos(kBufferCount) + 2) * period + kAlignTolerance;
}

Frame LibcameraCamera::captureAt(Nanos t)
{
    if (!running_)
        throw RunError("camera " + name_ + " is not started");
    const Nanos startMono = t - realtimeOffset();
    scheduleStart(startMono);
    return toFrame(waitForFrame(startMono - kAlignTolerance));
}

} // namespace lockstep
