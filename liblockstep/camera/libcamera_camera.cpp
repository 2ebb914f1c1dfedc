#include "camera/libcamera_camera.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <set>

#include <libcamera/base/unique_fd.h>
#include <libcamera/libcamera.h>
#include <libcamera/version.h>
#include <linux/dma-buf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include "camera/camera_manager.h"
#include "camera/libcamera_compat.h"
#include "camera/yuv420_copy.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

namespace lc = libcamera;

/* Requests kept queued while streaming: enough that the sensor never starves. */
constexpr unsigned kBufferCount = 4;
/* Requests beyond those, queued in place of a frame kept out of the queue (selected by a capture
 * or set aside for an announced instant), so the requests in flight, and with them the control
 * latency GridLock measures, stay the same while one frame is kept. */
constexpr unsigned kSpareBuffers = 1;
/* Frames of announced instants set aside at most at once; beyond the spare each one shortens the
 * queue by a request while it is kept. */
constexpr size_t kMaxSetAside = 2;
/* A buffer's sequence number before the pipeline sets one (see markOwnBuffer()). */
constexpr unsigned kSequenceUnset = std::numeric_limits<unsigned>::max();
/* Slack on top of the frames a wait may have to sit through (scheduling, the pipeline's own
 * start-up frames). */
constexpr Nanoseconds kFrameSlack = std::chrono::seconds(2);
/* start() waits this long, plus kLockFrames frames, for the phase lock to hold. */
constexpr Nanoseconds kLockSlack = std::chrono::seconds(3);
constexpr int64_t kLockFrames = 60;
/* Raspberry Pi's sync server multicasts every sync_period frames (30 in its tuning files). */
constexpr unsigned kSyncPeriodFrames = 30;

/* The one camera of this process that serves Raspberry Pi's sync, if any. */
std::mutex serverMutex;
const void *syncServer = nullptr;

void setSyncMode([[maybe_unused]] lc::ControlList &controls, [[maybe_unused]] int32_t mode,
                 [[maybe_unused]] unsigned readyFrames)
{
#if LOCKSTEP_RPI_SYNC
    controls.set(lc::controls::rpi::SyncMode, mode);
    if (mode == kRpiSyncModeServer)
        controls.set(lc::controls::rpi::SyncFrames, int32_t(readyFrames));
#endif
}

/* The formats lockstep takes: 8-bit 4:2:0, planar (a Pi's ISP) or with interleaved chroma. */
bool isYuv420(const lc::PixelFormat &format)
{
    return format == lc::formats::NV12 || format == lc::formats::YUV420;
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
 * gives what lockstep asks for stills, sYCC: JPEG's own, so its planes go into the file as
 * they are. */
YuvEncoding encodingOf(const lc::StreamConfiguration &stream)
{
    YuvEncoding encoding{YuvMatrix::Rec601, YuvRange::Limited};
    if (stream.colorSpace &&
        stream.colorSpace->ycbcrEncoding == lc::ColorSpace::YcbcrEncoding::Rec709)
        encoding.matrix = YuvMatrix::Rec709;
    if (stream.colorSpace && stream.colorSpace->range == lc::ColorSpace::Range::Full)
        encoding.range = YuvRange::Full;
    return encoding;
}

/* A memfd-backed buffer for one frame, all planes in one file at consecutive offsets. */
std::unique_ptr<lc::FrameBuffer> makeMemfdBuffer(const std::vector<size_t> &sizes)
{
    size_t total = 0;
    for (const size_t size : sizes)
        total += size;
    lc::UniqueFD owned(memfd_create("lockstep-frame", MFD_CLOEXEC));
    if (!owned.isValid())
        return nullptr;
    const lc::SharedFD shared(std::move(owned));
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

bool LibcameraCamera::rpiSyncCompiledIn()
{
    return LOCKSTEP_RPI_SYNC != 0;
}

LibcameraCamera::~LibcameraCamera()
{
    /* libcamera's order: stop, free the buffers, release, drop the camera, then the manager. */
    stop();
    {
        const std::lock_guard lock(serverMutex);
        if (syncServer == this)
            syncServer = nullptr;
    }
    releaseBuffers();
    camera_->release();
    camera_.reset();
    manager_.reset();
}

void LibcameraCamera::requireState(State state, const char *call) const
{
    if (state_ == state)
        return;
    constexpr std::array<const char *, 3> kNames{"opened", "configured", "streaming"};
    throw RunError("camera " + name_ + ": " + call + "() needs a " + kNames[size_t(state)] +
                   " camera, it is " + kNames[size_t(state_)]);
}

SensorMode LibcameraCamera::configure(const CaptureSettings &settings)
{
    if (state_ == State::Streaming)
        throw RunError("camera " + name_ + ": configure() while streaming; stop() it first");
    releaseBuffers();
    state_ = State::Opened;
    settings_ = settings;

    rawStream_ = nullptr;
    rawLayout_.reset();
    /* DNG: the sensor's raw stream beside the processed one, as rpicam-apps asks for it, and
     * only then: its buffers take as much of the contiguous memory pool again. */
    const bool raw = settings.writes(ImageFormat::Dng);
    config_ =
        raw ? camera_->generateConfiguration({lc::StreamRole::StillCapture, lc::StreamRole::Raw})
            : camera_->generateConfiguration({lc::StreamRole::StillCapture});
    if (!config_ || config_->empty())
        throw RunError("camera " + name_ + " offers no still capture stream" +
                       (raw ? " with a raw stream beside it (format dng needs one)" : ""));
    if (raw && config_->size() < 2)
        throw RunError("camera " + name_ + " offers no raw stream (format dng needs one)");
    lc::StreamConfiguration &stream = config_->at(0);
    /* Planar 4:2:0, as rpicam-apps takes stills: a Pi's ISP writes it, and the JPEG is encoded
     * from the planes as they come (half the bytes of RGB in every buffer, in the contiguous
     * memory pool, and in every frame waiting for a writer). The colour space stays the one the
     * pipeline names for stills: a Pi's is sYCC, JPEG's own. A pipeline that lacks YUV420
     * adjusts it (the virtual one: NV12). The colour space is not asked for, since a pipeline
     * that ignores it (the virtual one in libcamera 0.4) would leave it named wrongly. */
    stream.pixelFormat = lc::formats::YUV420;
    stream.size = lc::Size(settings.width, settings.height);
    stream.bufferCount = std::max(stream.bufferCount, kBufferCount + kSpareBuffers);
    if (raw)
        config_->at(1).bufferCount = stream.bufferCount; /* one raw buffer in every request */
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
    if (!isYuv420(stream.pixelFormat))
        throw RunError("camera " + name_ + " offers " + stream.pixelFormat.toString() +
                       ", neither YUV420 nor NV12");
#if LOCKSTEP_LIBCAMERA_AT_LEAST(0, 2)
    const bool rotated = config_->orientation == lc::Orientation::Rotate180;
#else
    const bool rotated = config_->transform == lc::Transform::Rot180;
#endif
    if (rotated != (rotation_ == 180))
        throw RunError("camera " + name_ + " cannot rotate its image by " +
                       std::to_string(rotation_) + " degrees");
    if (raw) {
        const std::string format = config_->at(1).pixelFormat.toString();
        rawLayout_ = rawLayoutOf(format);
        if (!rawLayout_)
            throw RunError(
                "camera " + name_ + " delivers raw frames as " + format +
                ", which lockstep does not unpack for format dng (CSI-2 packed 10- or 12-bit, or "
                "16-bit Bayer; a Pi 5's compressed raw is not among them)");
    }
    if (camera_->configure(config_.get()) != 0)
        throw RunError("camera " + name_ + " failed to apply its configuration");
    stream_ = stream.stream();
    if (raw)
        rawStream_ = config_->at(1).stream();
    makeRequests();

    /* Raspberry Pi's software camera sync (rpi_sync.h): compiled in where the headers define
     * its controls, used where the camera lists them (its IPA has them; upstream's 0.5.2 and
     * later define them for every pipeline, so the list is what counts). */
#if LOCKSTEP_RPI_SYNC
    const lc::ControlInfoMap &cameraControls = camera_->controls();
    offersRpiSync_ = cameraControls.count(&lc::controls::rpi::SyncMode) > 0;
    /* A server's ready frame: the fewest frames the IPA accepts (100 in Raspberry Pi's). */
    if (const auto frames = cameraControls.find(&lc::controls::rpi::SyncFrames);
        frames != cameraControls.end() && frames->second.min().type() == lc::ControlTypeInteger32)
        syncReadyFrames_ = unsigned(std::max(1, frames->second.min().get<int32_t>()));
#else
    offersRpiSync_ = false;
#endif
    mode_ = sensorMode();
    state_ = State::Configured;
    return mode_;
}

SensorMode LibcameraCamera::sensorMode() const
{
    SensorMode mode;
    /* A Pi's IPA publishes the configured mode's frame duration range here, and clamps any
     * shorter request to its minimum. Microseconds, a scalar or a {min, max} pair. */
    const lc::ControlInfoMap &controls = camera_->controls();
    const auto limits = controls.find(&lc::controls::FrameDurationLimits);
    const auto micros = [](const lc::ControlValue &value) -> Nanoseconds {
        if (value.type() != lc::ControlTypeInteger64)
            return Nanoseconds::zero();
        if (value.isArray()) {
            const auto values = value.get<lc::Span<const int64_t>>();
            return values.empty() ? Nanoseconds::zero() : Microseconds(values[0]);
        }
        return Microseconds(value.get<int64_t>());
    };
    if (limits != controls.end()) {
        mode.minFrameDuration = micros(limits->second.min());
        mode.maxFrameDuration = micros(limits->second.max());
    }
    /* libcamera gives no readout time (nor line length). A rolling-shutter sensor reads a whole
     * frame out within its fastest frame duration (frame length = active lines + at least a few
     * lines of blanking), so the mode's minimum frame duration bounds the readout from above:
     * motion waits at most the blanking (a few lines) longer than it must, never less. */
    mode.readout = mode.minFrameDuration;
    mode.lineTime = Nanoseconds::zero();
    return mode;
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

void LibcameraCamera::makeRequests()
{
    const std::vector<lc::FrameBuffer *> buffers = allocateBuffers();
    /* The raw stream's buffers come from the pipeline's allocator only: a sensor's CSI-2
     * receiver writes nothing else. */
    std::vector<lc::FrameBuffer *> rawBuffers;
    if (rawStream_) {
        if (!allocator_)
            allocator_ = std::make_unique<lc::FrameBufferAllocator>(camera_);
        if (allocator_->allocate(rawStream_) <= 0)
            throw RunError("camera " + name_ + ": cannot allocate raw frame buffers");
        for (const std::unique_ptr<lc::FrameBuffer> &buffer : allocator_->buffers(rawStream_))
            rawBuffers.push_back(buffer.get());
        if (rawBuffers.size() < buffers.size())
            throw RunError("camera " + name_ + ": fewer raw frame buffers than frame buffers");
    }
    for (size_t i = 0; i < buffers.size(); ++i) {
        std::unique_ptr<lc::Request> request = camera_->createRequest();
        if (!request || request->addBuffer(stream_, buffers[i]) != 0 ||
            (rawStream_ && request->addBuffer(rawStream_, rawBuffers[i]) != 0))
            throw RunError("camera " + name_ + ": cannot create a capture request");
        requests_.push_back(std::move(request));
        mapBuffer(*buffers[i]);
        if (rawStream_)
            mapBuffer(*rawBuffers[i]);
    }
}

void LibcameraCamera::mapBuffer(const lc::FrameBuffer &buffer)
{
    /* Planes often share one dmabuf at different offsets: map each buffer once, whole. */
    for (const lc::FrameBuffer::Plane &plane : buffer.planes()) {
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

void LibcameraCamera::releaseBuffers()
{
    requests_.clear();
    for (const auto &[fd, mapping] : mappings_)
        munmap(mapping.data(), mapping.size());
    mappings_.clear();
    if (allocator_ && stream_)
        allocator_->free(stream_);
    if (allocator_ && rawStream_)
        allocator_->free(rawStream_);
    allocator_.reset();
    ownBuffers_.clear();
}

void LibcameraCamera::start(const FrameGrid &grid, const LockOptions &lock)
{
    requireState(State::Configured, "start");
    grid_ = grid;
    lockOptions_ = lock;

    /* Raspberry Pi's sync where it can hold this camera: one server per job, the rest clients. */
    RpiSyncInputs inputs;
    inputs.compiledIn = rpiSyncCompiledIn();
    inputs.offered = offersRpiSync_;
    inputs.groupPrepared = rpiSyncGroupPrepared();
    inputs.scheme = lock.scheme;
    inputs.rank = jobPlaceFromEnvironment().rank;
    {
        const std::lock_guard guard(serverMutex);
        inputs.serverTaken = syncServer != nullptr && syncServer != this;
        syncChoice_ = chooseRpiSyncRole(inputs);
        if (syncChoice_.role == RpiSyncRole::Server)
            syncServer = this;
    }
    RpiSyncSession::Options syncOptions;
    syncOptions.role = syncChoice_.role;
    syncOptions.readyFrames = syncReadyFrames_;
    /* Server: its ready frame, and as long again. Client: the server's lock, its ready frame and
     * two of its packets. */
    syncOptions.giveUpFrames =
        syncChoice_.role == RpiSyncRole::Server
            ? 2 * syncReadyFrames_
            : unsigned(2 * kLockFrames) + syncReadyFrames_ + 2 * kSyncPeriodFrames;
    {
        lockSettings_ = GridLock::Options{};
        lockSettings_.scheme = lock.scheme;
        lockSettings_.mode = mode_;
        lockSettings_.bound = lock.bound;
        lockSettings_.assumedLatency = kBufferCount + 2;
        const std::lock_guard guard(mutex_);
        sync_.emplace(syncOptions);
        lockSettings_.follow = sync_->syncHolds();
        lock_.emplace(grid, lockSettings_);
        clock_ = ClockMapping();
        stopping_ = false;
        wanted_ = false;
        selected_.reset();
        expected_.clear();
        setAside_.clear();
        spare_.clear();
        inFlight_ = 0;
        nextDuration_ = lock_->nominalDuration();
        nextSequence_ = 0;
        failure_.clear();
    }

    lc::ControlList controls(lc::controls::controls);
#if LOCKSTEP_LIBCAMERA_AT_LEAST(0, 5)
    controls.set(lc::controls::ExposureTimeMode, lc::controls::ExposureTimeModeManual);
    controls.set(lc::controls::AnalogueGainMode, lc::controls::AnalogueGainModeManual);
#else
    controls.set(lc::controls::AeEnable, false);
#endif
    controls.set(lc::controls::ExposureTime, int32_t(settings_.exposure.count()));
    controls.set(lc::controls::AnalogueGain, float(settings_.gain));
    const int64_t nominalUs = std::chrono::round<Microseconds>(grid.period).count();
    const std::array<int64_t, 2> duration{nominalUs, nominalUs};
    controls.set(lc::controls::FrameDurationLimits, lc::Span<const int64_t, 2>(duration));
    if (const std::optional<int32_t> mode = sync_->takeModeControl())
        setSyncMode(controls, *mode, syncReadyFrames_);

    camera_->requestCompleted.connect(this, &LibcameraCamera::requestCompleted);
    if (camera_->start(&controls) != 0) {
        camera_->requestCompleted.disconnect(this);
        throw RunError("camera " + name_ + " failed to start streaming");
    }
    state_ = State::Streaming;

    std::unique_lock guard(mutex_);
    const size_t spares = std::min<size_t>(kSpareBuffers, requests_.size() - 1);
    inFlightTarget_ = unsigned(requests_.size() - spares);
    for (size_t i = 0; i < requests_.size(); ++i) {
        if (i < inFlightTarget_)
            queue(requests_[i].get());
        else
            spare_.push_back(requests_[i].get());
    }
    /* Phase-locked: back once the frames are on the grid and the control latency is measured;
     * that takes a few dozen frames, each at least an exposure long. With Raspberry Pi's sync,
     * back once it reports ready (or lockstep's loop has taken over), which may take its ready
     * frame and as long again. */
    const int64_t lockFrames = syncChoice_.role == RpiSyncRole::Off
                                   ? kLockFrames
                                   : 2 * kLockFrames + int64_t(syncOptions.giveUpFrames);
    const Nanoseconds timeout =
        kLockSlack + lockFrames * std::max<Nanoseconds>(grid.period, settings_.exposure);
    const bool locked = frameReady_.wait_for(
        guard, timeout, [this] { return sync_->ready() || !failure_.empty(); });
    const std::string failure = failure_;
    const LockStats stats = lock_->takeStats();
    guard.unlock();
    if (!failure.empty() || !locked) {
        stop();
        if (!failure.empty())
            throw RunError("camera " + name_ + ": " + failure);
        throw RunError(
            "camera " + name_ + " did not lock onto the frame grid within " +
            std::to_string(std::chrono::duration_cast<Milliseconds>(timeout).count()) +
            " ms (last lock error " +
            std::to_string(std::chrono::duration_cast<Microseconds>(stats.last).count()) +
            " us, control latency " +
            (stats.latencyFrames ? std::to_string(*stats.latencyFrames) + " frames"
                                 : std::string("not measured")) +
            ")");
    }
}

void LibcameraCamera::stop()
{
    if (state_ != State::Streaming)
        return;
    {
        /* From here no completed request is queued again: libcamera refuses queueRequest()
         * once the camera is stopping. */
        const std::lock_guard lock(mutex_);
        stopping_ = true;
        wanted_ = false;
        selected_.reset();
        expected_.clear();
        setAside_.clear();
        frameReady_.notify_all();
    }
    camera_->stop(); /* completes every queued request as cancelled */
    camera_->requestCompleted.disconnect(this);
    {
        const std::lock_guard lock(mutex_);
        spare_.clear();
        inFlight_ = 0;
    }
    state_ = State::Configured;
}

/* On libcamera's thread: never block here, only hand over. */
void LibcameraCamera::requestCompleted(lc::Request *request)
{
    if (request->status() == lc::Request::RequestCancelled)
        return;
    const std::lock_guard lock(mutex_);
    if (stopping_)
        return;
    inFlight_ = inFlight_ > 0 ? inFlight_ - 1 : 0;
    const lc::FrameBuffer *buffer = request->buffers().begin()->second;
    const std::optional<RealtimeInstant> start = frameStart(*request);
    if (request->status() != lc::Request::RequestComplete ||
        buffer->metadata().status != lc::FrameMetadata::FrameSuccess || !start) {
        queue(request); /* a failed or start-up frame is no frame */
        return;
    }
    uint64_t sequence = buffer->metadata().sequence;
    if (sequence == kSequenceUnset)
        sequence = nextSequence_;
    nextSequence_ = sequence + 1;
    nextDuration_ = lock_->onFrame(sequence, *start);

    std::optional<bool> syncReady;
#if LOCKSTEP_RPI_SYNC
    if (const auto ready = request->metadata().get(lc::controls::rpi::SyncReady))
        syncReady = bool(*ready);
#endif
    const bool withinBound = std::chrono::abs(grid_.errorOf(*start)) <= lockOptions_.bound;
    if (sync_->onFrame(syncReady, lock_->locked(), withinBound) ==
        RpiSyncSession::Action::StartSteering) {
        /* The sync did not answer in time: lockstep's loop holds this camera from now on. */
        lockSettings_.follow = false;
        lock_.emplace(grid_, lockSettings_);
        nextDuration_ = lock_->nominalDuration();
    }

    /* Frames of announced instants are kept for their captures, however late they ask: the
     * frame captureAt() would select (the first from earliestFor(t) on). */
    const Nanoseconds half = grid_.period / 2;
    while (!expected_.empty() && expected_.front() + half <= *start)
        expected_.pop_front(); /* no frame came near it: its capture will say so */
    const bool announced = !expected_.empty() && *start >= earliestFor(expected_.front());
    const Completed completed{request, *start, sequence};
    if (wanted_ && *start >= wantedFrom_) {
        wanted_ = false;
        selected_ = completed;
        if (announced)
            expected_.pop_front();
        replaceKept();
    } else if (announced && setAside_.size() < kMaxSetAside) {
        setAside_.push_back(completed);
        expected_.pop_front();
        replaceKept();
    } else {
        queue(request);
    }
    frameReady_.notify_all();
}

std::optional<RealtimeInstant> LibcameraCamera::frameStart(lc::Request &request)
{
    const lc::ControlList &metadata = request.metadata();
    /* Sampled on every frame: the mapping is a fit over recent samples, following chrony's
     * slewing of CLOCK_REALTIME without one sample's scheduling noise. */
    clock_.sample();
    std::optional<RealtimeInstant> start;
#if LOCKSTEP_LIBCAMERA_HAS_FRAME_WALL_CLOCK
    /* Nanoseconds of the wall clock (CLOCK_REALTIME). */
    if (const auto wallClock = metadata.get(lc::controls::FrameWallClock))
        start = realtimeFromWire(*wallClock);
#endif
    if (!start) {
        /* Nanoseconds of CLOCK_MONOTONIC. */
        const auto timestamp = metadata.get(lc::controls::SensorTimestamp);
        if (!timestamp)
            return std::nullopt;
        start = clock_.toRealtime(monotonicFromWire(*timestamp));
    }
    /* Both mark the frame start (a Pi's frame-start interrupt: the first row is read out); that
     * row's exposure began one exposure earlier. */
    const Microseconds exposure(
        metadata.get(lc::controls::ExposureTime).value_or(int32_t(settings_.exposure.count())));
    return *start - exposure;
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

/* Called with mutex_ held. Every request carries the frame duration GridLock asked for last. */
void LibcameraCamera::queue(lc::Request *request)
{
    if (stopping_)
        return; /* stop() is cancelling the requests; they are reused at the next start */
    request->reuse(lc::Request::ReuseBuffers);
    markOwnBuffer(request);
    const int64_t us = std::chrono::round<Microseconds>(nextDuration_).count();
    const std::array<int64_t, 2> duration{us, us};
    request->controls().set(lc::controls::FrameDurationLimits,
                            lc::Span<const int64_t, 2>(duration));
    if (sync_)
        if (const std::optional<int32_t> mode = sync_->takeModeControl())
            setSyncMode(request->controls(), *mode, syncReadyFrames_);
    if (camera_->queueRequest(request) != 0) {
        failure_ = "cannot queue a capture request";
        frameReady_.notify_all();
        return;
    }
    ++inFlight_;
}

void LibcameraCamera::release(lc::Request *request)
{
    if (stopping_)
        return;
    if (inFlight_ < inFlightTarget_)
        queue(request);
    else
        spare_.push_back(request);
}

void LibcameraCamera::replaceKept()
{
    if (stopping_ || spare_.empty() || inFlight_ >= inFlightTarget_)
        return;
    lc::Request *spare = spare_.back();
    spare_.pop_back();
    queue(spare);
}

RealtimeInstant LibcameraCamera::earliestFor(RealtimeInstant t) const
{
    /* The frame before it started a period earlier (beyond the bound when the camera holds the
     * grid). */
    return t - std::min(lockOptions_.bound, grid_.period / 2);
}

std::optional<LibcameraCamera::Completed> LibcameraCamera::takeSetAside(RealtimeInstant t)
{
    const Nanoseconds half = grid_.period / 2;
    while (!setAside_.empty() && setAside_.front().start < earliestFor(t)) {
        release(setAside_.front().request);
        setAside_.pop_front();
    }
    if (setAside_.empty() || setAside_.front().start >= t + half)
        return std::nullopt;
    const Completed taken = setAside_.front();
    setAside_.pop_front();
    return taken;
}

void LibcameraCamera::expect(std::span<const RealtimeInstant> instants)
{
    requireState(State::Streaming, "expect");
    const std::lock_guard lock(mutex_);
    for (const Completed &kept : setAside_)
        release(kept.request);
    setAside_.clear();
    expected_.assign(instants.begin(), instants.end());
}

Nanoseconds LibcameraCamera::frameTimeout() const
{
    /* Every buffer in flight, and the one being exposed, may have to complete first, each a
     * frame period (at least the exposure) long. */
    const Nanoseconds frame = std::max<Nanoseconds>(grid_.period, settings_.exposure);
    return (int64_t(kBufferCount) + 2) * frame + kFrameSlack;
}

LibcameraCamera::Completed LibcameraCamera::waitForFrame(std::optional<RealtimeInstant> notBefore,
                                                         Nanoseconds timeout)
{
    const MonotonicInstant deadline = MonotonicClock::now() + timeout;
    std::unique_lock lock(mutex_);
    wanted_ = true;
    wantedFrom_ = notBefore.value_or(RealtimeInstant::min());
    while (!selected_ && failure_.empty()) {
        const Nanoseconds left = deadline - MonotonicClock::now();
        if (left <= Nanoseconds::zero()) {
            wanted_ = false;
            throw RunError(
                "camera " + name_ + " delivered no frame in " +
                std::to_string(std::chrono::duration_cast<Milliseconds>(timeout).count()) + " ms");
        }
        frameReady_.wait_for(lock, left);
    }
    if (!failure_.empty()) {
        wanted_ = false;
        throw RunError("camera " + name_ + ": " + failure_);
    }
    const Completed selected = *selected_;
    selected_.reset();
    return selected;
}

Yuv420Image LibcameraCamera::copyOut(const lc::FrameBuffer &buffer) const
{
    const lc::StreamConfiguration &stream = config_->at(0);
    const auto &planes = buffer.planes();
    const lc::FrameBuffer::Plane &first = planes[0];
    const std::span<uint8_t> mapping = mappings_.at(first.fd.get());
    const auto planeData = [&](size_t index, size_t offsetInFirst) {
        /* A buffer may carry every colour plane in its first plane (single-planar V4L2). */
        if (index < planes.size())
            return mappings_.at(planes[index].fd.get()).data() + planes[index].offset;
        return mapping.data() + first.offset + offsetInFirst;
    };
    const std::vector<size_t> sizes = planeSizes(stream);
    YuvPlanes yuv;
    yuv.y = planeData(0, 0);
    yuv.yStride = stream.stride;
    yuv.cb = planeData(1, sizes[0]);
    if (stream.pixelFormat == lc::formats::NV12) {
        yuv.cr = yuv.cb + 1;
        yuv.cStride = stream.stride;
        yuv.cStep = 2;
    } else {
        yuv.cr = planeData(2, sizes[0] + sizes[1]);
        yuv.cStride = stream.stride / 2;
        yuv.cStep = 1;
    }
    return copyYuv420(yuv, stream.size.width, stream.size.height, encodingOf(stream));
}

RawImage LibcameraCamera::copyRaw(const lc::FrameBuffer &buffer,
                                  const lc::ControlList &metadata) const
{
    const lc::StreamConfiguration &stream = config_->at(1);
    const lc::FrameBuffer::Plane &plane = buffer.planes()[0];
    const std::span<uint8_t> mapping = mappings_.at(plane.fd.get());
    if (plane.offset > mapping.size())
        throw RunError("camera " + name_ + ": a raw buffer's plane lies outside its buffer");
    const std::span<const uint8_t> data =
        std::span<const uint8_t>(mapping)
            .subspan(plane.offset)
            .first(std::min<size_t>(plane.length, mapping.size() - plane.offset));
    /* SensorBlackLevels: one per Bayer channel, on a 16-bit scale whatever the sensor's depth
     * (libcamera's control_ids); the DNG wants it in the samples' own units. */
    unsigned black = 0;
    if (const auto levels = metadata.get(lc::controls::SensorBlackLevels))
        black = unsigned(std::max<int32_t>((*levels)[0], 0)) >> (16 - rawLayout_->bits);
    RawImage raw =
        unpackRaw(data, stream.size.width, stream.size.height, stream.stride, *rawLayout_, black);
    /* The white balance the ISP gave the processed frame: a raw developer's as-shot neutral. */
    if (const auto gains = metadata.get(lc::controls::ColourGains)) {
        raw.redGain = (*gains)[0];
        raw.blueGain = (*gains)[1];
    }
    raw.sensorModel = camera_->properties().get(lc::properties::Model).value_or("unknown");
    return raw;
}

/* Copies the selected frame out and gives its request back to the sensor. */
Frame LibcameraCamera::toFrame(const Completed &completed)
{
    lc::Request *request = completed.request;
    const lc::FrameBuffer *buffer = request->findBuffer(stream_);
    const lc::FrameBuffer *rawBuffer = rawStream_ ? request->findBuffer(rawStream_) : nullptr;
    Frame frame;
    try {
        if (!buffer || (rawStream_ && !rawBuffer))
            throw RunError("camera " + name_ + ": a completed request lacks a stream's buffer");
        std::set<int> fds;
        for (const lc::FrameBuffer::Plane &plane : buffer->planes())
            fds.insert(plane.fd.get());
        if (rawBuffer)
            for (const lc::FrameBuffer::Plane &plane : rawBuffer->planes())
                fds.insert(plane.fd.get());
        for (const int fd : fds)
            syncDmabuf(fd, DMA_BUF_SYNC_START);
        frame.image = copyOut(*buffer);
        if (rawBuffer)
            frame.raw = copyRaw(*rawBuffer, request->metadata());
        for (const int fd : fds)
            syncDmabuf(fd, DMA_BUF_SYNC_END);
    } catch (...) {
        const std::lock_guard lock(mutex_);
        release(request);
        throw;
    }
    const lc::ControlList &metadata = request->metadata();
    frame.sensorTimestamp = completed.start;
    frame.exposure = Microseconds(
        metadata.get(lc::controls::ExposureTime).value_or(int32_t(settings_.exposure.count())));
    /* The pipeline's own measure of this frame's rolling-shutter skew where it reports one
     * (nanoseconds, Android's ANDROID_SENSOR_ROLLING_SHUTTER_SKEW), else the mode's bound. */
    frame.readout = Nanoseconds(metadata.get(lc::controls::draft::SensorRollingShutterSkew)
                                    .value_or(int64_t(mode_.readout.count())));
    frame.gain = metadata.get(lc::controls::AnalogueGain).value_or(float(settings_.gain));
    frame.sequence = completed.sequence;

    const std::lock_guard lock(mutex_);
    release(request);
    return frame;
}

Frame LibcameraCamera::captureNext()
{
    requireState(State::Streaming, "captureNext");
    return toFrame(waitForFrame(std::nullopt, frameTimeout()));
}

Frame LibcameraCamera::captureAt(RealtimeInstant t)
{
    requireState(State::Streaming, "captureAt");
    std::optional<Completed> kept;
    {
        const std::lock_guard lock(mutex_);
        kept = takeSetAside(t); /* announced, and already complete */
        if (!kept)
            lock_->prepareCapture(t);
    }
    if (!kept) {
        const RealtimeInstant now = RealtimeClock::now();
        if (now > t)
            throw RunError("camera " + name_ + ": capture instant " + std::to_string(wireNanos(t)) +
                           " has passed (now " + std::to_string(wireNanos(now)) + ")");
        kept = waitForFrame(earliestFor(t), (t - now) + frameTimeout());
    }
    Frame frame = toFrame(*kept);
    requireOnInstant(name_, frame.sensorTimestamp, t, lockOptions_.bound);
    return frame;
}

LockStats LibcameraCamera::takeLockStats()
{
    const std::lock_guard lock(mutex_);
    return lock_ ? lock_->takeStats() : LockStats{};
}

} // namespace lockstep
