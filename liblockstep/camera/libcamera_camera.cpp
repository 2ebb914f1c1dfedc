#include "camera/libcamera_camera.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <set>

#include <libcamera/libcamera.h>
#include <libcamera/version.h>
#include <linux/dma-buf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include "camera/camera_manager.h"
#include "camera/yuv_to_rgb.h"
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
/* A buffer's sequence number before the pipeline sets one (see markOwnBuffer()). */
constexpr unsigned kSequenceUnset = std::numeric_limits<unsigned>::max();
/* Slack on top of the frames a wait may have to sit through (scheduling, the pipeline's own
 * start-up frames). */
constexpr Nanos kFrameSlack = 2 * kNanosPerSecond;

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

std::optional<PixelLayout> rgbLayoutOf(const lc::PixelFormat &format)
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

bool isYuv420(const lc::PixelFormat &format)
{
    return format == lc::formats::NV12 || format == lc::formats::YUV420;
}

bool acceptedFormat(const lc::PixelFormat &format)
{
    return rgbLayoutOf(format) || isYuv420(format);
}

/* Bytes of each plane of a frame of this configuration, for buffers lockstep allocates itself. */
std::vector<size_t> planeSizes(const lc::StreamConfiguration &stream)
{
    const size_t lumaRows = stream.size.height;
    const size_t chromaRows = (size_t(stream.size.height) + 1) / 2;
    if (stream.pixelFormat == lc::formats::NV12)
        return {stream.stride * lumaRows, stream.stride * chromaRows};
    if (stream.pixelFormat == lc::formats::YUV420)
        return {stream.stride * lumaRows, stream.stride / 2 * chromaRows,
                stream.stride / 2 * chromaRows};
    return {stream.stride * lumaRows};
}

/* The frame's colour space: libcamera's for the stream; a pipeline that names none (the virtual
 * one, which converts with libyuv) gets video's default, BT.601 limited range. A Pi's pipeline
 * always names one (sYCC, full range, for stills). */
YuvMatrix matrixOf(const lc::StreamConfiguration &stream)
{
    if (stream.colorSpace &&
        stream.colorSpace->ycbcrEncoding == lc::ColorSpace::YcbcrEncoding::Rec709)
        return YuvMatrix::Rec709;
    return YuvMatrix::Rec601;
}

YuvRange rangeOf(const lc::StreamConfiguration &stream)
{
    if (stream.colorSpace && stream.colorSpace->range == lc::ColorSpace::Range::Full)
        return YuvRange::Full;
    return YuvRange::Limited;
}

/* A memfd-backed buffer for one frame, all planes in one file at consecutive offsets. */
std::unique_ptr<lc::FrameBuffer> makeMemfdBuffer(const std::vector<size_t> &sizes)
{
    size_t total = 0;
    for (const size_t size : sizes)
        total += size;
    int fd = memfd_create("lockstep-frame", MFD_CLOEXEC);
    if (fd < 0)
        return nullptr;
    lc::SharedFD shared(std::move(fd)); /* owns it from here */
    if (ftruncate(shared.get(), off_t(total)) != 0)
        return nullptr;
    std::vector<lc::FrameBuffer::Plane> planes;
    size_t offset = 0;
    for (const size_t size : sizes) {
        lc::FrameBuffer::Plane plane;
        plane.fd = shared;
        plane.offset = unsigned(offset);
        plane.length = unsigned(size);
        planes.push_back(plane);
        offset += size;
    }
    return std::make_unique<lc::FrameBuffer>(planes);
}

void syncDmabuf(int fd, uint64_t flags)
{
    /* Not a dmabuf (lockstep's own memfd buffers): ENOTTY, nothing to synchronise. */
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

void LibcameraCamera::configure(const CaptureSettings &settings)
{
    config_ = camera_->generateConfiguration({lc::StreamRole::StillCapture});
    if (!config_ || config_->empty())
        throw RunError("camera " + name_ + " offers no still capture stream");
    lc::StreamConfiguration &stream = config_->at(0);
    /* RGB if the pipeline has it (a Pi's ISP does); a pipeline that offers only 4:2:0 YUV
     * adjusts this and the frames are converted. */
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
                       std::to_string(settings.height) + " still configuration");
    if (stream.size != lc::Size(settings.width, settings.height))
        throw RunError("camera " + name_ + " cannot deliver " + std::to_string(settings.width) +
                       "x" + std::to_string(settings.height) + " (it offers " +
                       stream.size.toString() + ")");
    if (!acceptedFormat(stream.pixelFormat))
        throw RunError("camera " + name_ + " offers " + stream.pixelFormat.toString() +
                       ", neither 8-bit RGB nor NV12/YUV420");
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

/* The pipeline's own buffers (dmabufs from the device or a DMA heap) when it can export them: on
 * a Pi it always can, and the ISP can only write those. Where it cannot (a machine without
 * /dev/dma_heap running a pipeline whose frames the CPU writes, like libcamera's virtual
 * cameras), lockstep allocates the buffers itself from memfds. A pipeline that needs device
 * memory refuses those at start or in the first request, with an error naming the camera. */
std::vector<lc::FrameBuffer *> LibcameraCamera::allocateBuffers()
{
    std::vector<lc::FrameBuffer *> buffers;
    allocator_ = std::make_unique<lc::FrameBufferAllocator>(camera_);
    if (allocator_->allocate(stream_) > 0) {
        for (const std::unique_ptr<lc::FrameBuffer> &buffer : allocator_->buffers(stream_))
            buffers.push_back(buffer.get());
        return buffers;
    }
    allocator_.reset();
    const lc::StreamConfiguration &stream = config_->at(0);
    for (unsigned i = 0; i < std::max(stream.bufferCount, kBufferCount); ++i) {
        std::unique_ptr<lc::FrameBuffer> buffer = makeMemfdBuffer(planeSizes(stream));
        if (!buffer)
            throw RunError("camera " + name_ +
                           ": cannot allocate frame buffers: " + std::strerror(errno));
        buffers.push_back(buffer.get());
        ownBuffers_.push_back(std::move(buffer));
    }
    return buffers;
}

void LibcameraCamera::mapBuffers()
{
    for (lc::FrameBuffer *buffer : allocateBuffers()) {
        std::unique_ptr<lc::Request> request = camera_->createRequest();
        if (!request || request->addBuffer(stream_, buffer) != 0)
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

void LibcameraCamera::start(const CaptureSettings &settings)
{
    stop();
    settings_ = settings;
    try {
        configure(settings);
        mapBuffers();

        frameDurationUs_ = std::max(kMinFrameDurationUs, settings.exposureUs);
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

        {
            const std::lock_guard lock(mutex_);
            stopping_ = false;
        }
        camera_->requestCompleted.connect(this, &LibcameraCamera::requestCompleted);
        if (camera_->start(&controls) != 0)
            throw RunError("camera " + name_ + " failed to start streaming");
        running_ = true;
        const std::lock_guard lock(mutex_);
        for (const auto &request : requests_) {
            markOwnBuffer(request.get());
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
    {
        /* From here no completed request goes back to the camera: libcamera refuses
         * queueRequest() once the camera is stopping. */
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
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
        nextSequence_ = 0;
        failure_.clear();
    }
    requests_.clear();
    for (const auto &[fd, mapping] : mappings_)
        munmap(mapping.data(), mapping.size());
    mappings_.clear();
    if (allocator_ && stream_)
        allocator_->free(stream_);
    allocator_.reset();
    ownBuffers_.clear();
}

/* On libcamera's thread: never block here, only hand over. */
void LibcameraCamera::requestCompleted(lc::Request *request)
{
    if (request->status() == lc::Request::RequestCancelled)
        return;
    const std::lock_guard lock(mutex_);
    --inFlight_;
    if (stopping_)
        return;
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
    uint64_t sequence = buffer->metadata().sequence;
    if (sequence == kSequenceUnset)
        sequence = nextSequence_;
    nextSequence_ = sequence + 1;
    completed_.push_back({request, start, sequence});
    /* Only the newest frame waits for a consumer; older ones go straight back to the sensor. */
    while (completed_.size() > 1) {
        requeue(completed_.front().request);
        completed_.pop_front();
    }
    frameReady_.notify_all();
}

/* libcamera leaves a new FrameBuffer's metadata uninitialised, and 0.4's virtual pipeline never
 * sets a buffer's status or sequence. So buffers lockstep made itself are marked before each
 * queueing (success, sequence unknown): a pipeline that reports overwrites both; one that does
 * not leaves the mark, and lockstep numbers those frames itself. */
void LibcameraCamera::markOwnBuffer(lc::Request *request)
{
    if (ownBuffers_.empty())
        return;
    for (const auto &[stream, buffer] : request->buffers()) {
        auto &metadata = const_cast<lc::FrameMetadata &>(buffer->metadata());
        metadata.status = lc::FrameMetadata::FrameSuccess;
        metadata.sequence = kSequenceUnset;
    }
}

/* Called with mutex_ held. */
void LibcameraCamera::requeue(lc::Request *request)
{
    if (stopping_)
        return; /* stop() is cancelling the requests; they are not reused */
    request->reuse(lc::Request::ReuseBuffers);
    markOwnBuffer(request);
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
    if (gap < 0 || k < Nanos(inFlight_) + 2 || delay < kCaptureAlignTolerance)
        return;
    durationsToApply_ = {frameDurationUs_ + delay / 1000, frameDurationUs_};
}

Nanos LibcameraCamera::frameTimeout() const
{
    /* Every buffer in flight, and the one being exposed, may have to complete first, each up to a
     * frame duration (at least the exposure) long. */
    const Nanos frame = std::max(frameDurationUs_, settings_.exposureUs) * 1000;
    return (Nanos(kBufferCount) + 2) * frame + kFrameSlack;
}

LibcameraCamera::Completed LibcameraCamera::waitForFrame(std::optional<Nanos> notBefore)
{
    const Nanos timeout = frameTimeout();
    const Nanos deadline =
        (notBefore ? std::max(*notBefore, monotonicNow()) : monotonicNow()) + timeout;
    std::unique_lock lock(mutex_);
    for (;;) {
        const Nanos wait = std::max<Nanos>(0, deadline - monotonicNow());
        if (!frameReady_.wait_for(lock, std::chrono::nanoseconds(wait),
                                  [this] { return !completed_.empty() || !failure_.empty(); }))
            throw RunError("camera " + name_ + " delivered no frame in " +
                           std::to_string(timeout / 1'000'000) + " ms");
        if (!failure_.empty())
            throw RunError("camera " + name_ + ": " + failure_);
        const Completed frame = completed_.front();
        completed_.pop_front();
        if (!notBefore || frame.sensorStart >= *notBefore)
            return frame;
        requeue(frame.request);
    }
}

void LibcameraCamera::convert(const lc::FrameBuffer &buffer, Image &image) const
{
    const lc::StreamConfiguration &stream = config_->at(0);
    const auto planes = buffer.planes();
    const lc::FrameBuffer::Plane &first = planes[0];
    const int fd = first.fd.get();
    const std::span<uint8_t> mapping = mappings_.at(fd);
    const auto planeData = [&](size_t index, size_t offsetInFirst) {
        /* A buffer may carry every colour plane in its first plane (single-planar V4L2). */
        if (index < planes.size())
            return mappings_.at(planes[index].fd.get()).data() + planes[index].offset;
        return mapping.data() + first.offset + offsetInFirst;
    };
    if (isYuv420(stream.pixelFormat)) {
        const std::vector<size_t> sizes = planeSizes(stream);
        YuvPlanes yuv;
        yuv.y = planeData(0, 0);
        yuv.yStride = stream.stride;
        if (stream.pixelFormat == lc::formats::NV12) {
            yuv.cb = planeData(1, sizes[0]);
            yuv.cr = yuv.cb + 1;
            yuv.cStride = stream.stride;
            yuv.cStep = 2;
        } else {
            yuv.cb = planeData(1, sizes[0]);
            yuv.cr = planeData(2, sizes[0] + sizes[1]);
            yuv.cStride = stream.stride / 2;
            yuv.cStep = 1;
        }
        yuv420ToRgb(yuv, matrixOf(stream), rangeOf(stream), image);
        return;
    }
    const PixelLayout layout = *rgbLayoutOf(stream.pixelFormat);
    const uint8_t *data = planeData(0, 0);
    for (unsigned y = 0; y < stream.size.height; ++y) {
        const uint8_t *in = data + size_t(y) * stream.stride;
        uint8_t *out = image.pixel(0, y);
        for (unsigned x = 0; x < stream.size.width; ++x, in += layout.bytes, out += 3) {
            out[0] = in[layout.r];
            out[1] = in[layout.g];
            out[2] = in[layout.b];
        }
    }
}

Frame LibcameraCamera::toFrame(const Completed &completed)
{
    lc::Request *request = completed.request;
    const lc::FrameBuffer *buffer = request->buffers().begin()->second;
    const lc::StreamConfiguration &stream = config_->at(0);

    Frame frame;
    frame.image = Image(stream.size.width, stream.size.height);
    std::set<int> fds;
    for (const lc::FrameBuffer::Plane &plane : buffer->planes())
        fds.insert(plane.fd.get());
    for (const int fd : fds)
        syncDmabuf(fd, DMA_BUF_SYNC_START);
    convert(*buffer, frame.image);
    for (const int fd : fds)
        syncDmabuf(fd, DMA_BUF_SYNC_END);

    const lc::ControlList &metadata = request->metadata();
    frame.sensorTimestamp = completed.sensorStart + realtimeOffset();
    frame.exposureUs =
        metadata.get(lc::controls::ExposureTime).value_or(int32_t(settings_.exposureUs));
    frame.gain = metadata.get(lc::controls::AnalogueGain).value_or(float(settings_.gain));
    frame.sequence = completed.sequence;

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
    return toFrame(waitForFrame(std::nullopt));
}

Nanos LibcameraCamera::leadTime() const
{
    /* scheduleStart() stretches the first request re-queued after the call; every buffer
     * in flight, and the frame being exposed, keep their timing. */
    const std::lock_guard lock(mutex_);
    const Nanos period = measuredPeriod_ > 0 ? measuredPeriod_ : frameDurationUs_ * 1000;
    return (Nanos(kBufferCount) + 2) * period + kCaptureAlignTolerance;
}

Frame LibcameraCamera::captureAt(Nanos t)
{
    if (!running_)
        throw RunError("camera " + name_ + " is not started");
    const Nanos startMono = t - realtimeOffset();
    scheduleStart(startMono);
    return toFrame(waitForFrame(startMono - kCaptureAlignTolerance));
}

} // namespace lockstep
