/* A real camera through libcamera, one source for Debian's 0.0.3, trixie's 0.4-0.7 and the
 * Raspberry Pi fork. While streaming, every completed request goes straight back to the sensor
 * carrying the frame duration GridLock asks for, so the sensor's frames stay on the scan's grid;
 * only a frame a capture selected is held, until it has been copied out. The camera's states
 * (Opened, Configured, Streaming) are those of camera.h, enforced here. */
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "camera/camera.h"
#include "camera/rpi_sync.h"
#include "config/rig.h"
#include "image/csi2_unpack.h"
#include "util/clock_mapping.h"

namespace libcamera
{
class Camera;
class CameraConfiguration;
class CameraManager;
class ControlList;
class FrameBuffer;
class FrameBufferAllocator;
class Request;
class Stream;
} // namespace libcamera

namespace lockstep
{

class LibcameraCamera : public Camera
{
public:
    /* Acquires the camera by id or index. Throws RunError("no camera ... found; libcamera sees
     * N cameras: ...") if it is not there, or if another user holds it. */
    explicit LibcameraCamera(const CameraConfig &camera);
    ~LibcameraCamera() override;
    LibcameraCamera(const LibcameraCamera &) = delete;
    LibcameraCamera &operator=(const LibcameraCamera &) = delete;

    const std::string &name() const override { return name_; }
    SensorMode configure(const CaptureSettings &settings) override;
    void start(const FrameGrid &grid, const LockOptions &lock) override;
    Frame captureAt(RealtimeInstant t) override;
    void expect(std::span<const RealtimeInstant> instants) override;
    Frame captureNext() override;
    LockStats takeLockStats() override;
    void stop() override;

    /* Whether this camera's libcamera offers Raspberry Pi's software camera sync
     * (controls::rpi::SyncMode): known once configured. */
    bool offersRpiSync() const { return offersRpiSync_; }
    /* The part this camera takes in it (rpi_sync.h), and why: known once configured. */
    const RpiSyncChoice &rpiSyncChoice() const { return syncChoice_; }
    /* Whether this libcamera's headers define Raspberry Pi's sync controls. */
    static bool rpiSyncCompiledIn();

private:
    enum class State { Opened, Configured, Streaming };

    struct Completed {
        libcamera::Request *request;
        RealtimeInstant start; /* first row's exposure start */
        uint64_t sequence;
    };

    void requireState(State state, const char *call) const;
    SensorMode sensorMode() const;
    std::vector<libcamera::FrameBuffer *> allocateBuffers();
    void makeRequests();
    void releaseBuffers();
    void requestCompleted(libcamera::Request *request);
    /* With mutex_ held: the first row's exposure start, CLOCK_REALTIME, if the frame has a
     * timestamp. */
    std::optional<RealtimeInstant> frameStart(libcamera::Request &request);
    void queue(libcamera::Request *request);
    /* With mutex_ held: a request kept out of the queue (selected or set aside) is done with; it
     * goes back to the sensor, or waits as a spare if enough are queued. */
    void release(libcamera::Request *request);
    /* With mutex_ held: a completed request is kept; a spare takes its place in the queue, so the
     * requests in flight (and the control latency) stay the same. */
    void replaceKept();
    void markOwnBuffer(libcamera::Request *request);
    /* Selects the first frame completing from now on that starts at or after `notBefore` (any
     * frame when unset); waits up to `timeout` for it. */
    Completed waitForFrame(std::optional<RealtimeInstant> notBefore, Nanoseconds timeout);
    /* The earliest start of a frame that a capture at t selects. */
    RealtimeInstant earliestFor(RealtimeInstant t) const;
    /* With mutex_ held: the frame set aside for instant t, if one was; frames set aside for
     * earlier instants go back to the sensor. */
    std::optional<Completed> takeSetAside(RealtimeInstant t);
    /* How long a wait for one frame may take before the camera counts as failed. */
    Nanoseconds frameTimeout() const;
    Frame toFrame(const Completed &completed);
    /* The frame's planes, copied out of the pipeline's buffer (yuv420_copy.h). */
    Yuv420Image copyOut(const libcamera::FrameBuffer &buffer) const;
    /* The raw stream's buffer unpacked (csi2_unpack.h) with the frame's black level, colour
     * gains and the sensor's model, for its DNG. */
    RawImage copyRaw(const libcamera::FrameBuffer &buffer,
                     const libcamera::ControlList &metadata) const;
    /* Maps each dmabuf of the buffer once, whole. */
    void mapBuffer(const libcamera::FrameBuffer &buffer);

    std::string name_;
    int rotation_;
    std::shared_ptr<libcamera::CameraManager> manager_;
    std::shared_ptr<libcamera::Camera> camera_;
    std::unique_ptr<libcamera::CameraConfiguration> config_;
    std::unique_ptr<libcamera::FrameBufferAllocator> allocator_;
    std::vector<std::unique_ptr<libcamera::FrameBuffer>> ownBuffers_; /* when allocator_ cannot */
    libcamera::Stream *stream_ = nullptr;
    /* The sensor's raw stream (config_->at(1)), only when the plan writes DNG. */
    libcamera::Stream *rawStream_ = nullptr;
    std::optional<RawLayout> rawLayout_;
    std::vector<std::unique_ptr<libcamera::Request>> requests_;
    std::map<int, std::span<uint8_t>> mappings_; /* dmabuf fd -> whole buffer, mapped once */
    State state_ = State::Opened;
    CaptureSettings settings_;
    SensorMode mode_;
    FrameGrid grid_;
    LockOptions lockOptions_;
    GridLock::Options lockSettings_;
    bool offersRpiSync_ = false;
    RpiSyncChoice syncChoice_;
    unsigned syncReadyFrames_ = 100; /* controls::rpi::SyncFrames for a server */

    mutable std::mutex mutex_; /* guards everything below, shared with libcamera's thread */
    std::condition_variable frameReady_;
    std::optional<GridLock> lock_;
    ClockMapping clock_;
    bool stopping_ = false;      /* stop() has begun: completed requests are not queued again */
    bool wanted_ = false;        /* a capture waits for a frame ... */
    RealtimeInstant wantedFrom_; /* ... starting at or after this */
    std::optional<Completed> selected_;       /* the frame it gets, held until copied out */
    std::deque<RealtimeInstant> expected_;    /* announced instants whose frame has not completed */
    std::deque<Completed> setAside_;          /* completed frames of announced instants */
    std::vector<libcamera::Request *> spare_; /* requests not queued, none held */
    unsigned inFlight_ = 0;                   /* requests queued to the camera */
    unsigned inFlightTarget_ = 0;
    std::optional<RpiSyncSession> sync_;
    Nanoseconds nextDuration_{0}; /* what GridLock asked for last: for the next request */
    uint64_t nextSequence_ = 0;   /* for pipelines that number no frames */
    std::string failure_;
};

} // namespace lockstep
