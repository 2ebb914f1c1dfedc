/* A real camera through libcamera, one source for Debian's 0.0.3 and the Raspberry Pi fork
 * (0.3-0.7). It streams continuously from start() to stop(): completed requests are handed to
 * a queue on libcamera's thread and re-queued as soon as they are stale, so the sensor keeps its
 * rhythm between positions. A scheduled capture stretches one frame (FrameDurationLimits) so a
 * later frame starts at the requested instant, then takes the first frame starting at or after
 * it. */
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
#include "config/rig.h"

namespace libcamera
{
class Camera;
class CameraConfiguration;
class CameraManager;
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
     * N cameras: ...") if it is not there. */
    explicit LibcameraCamera(const CameraConfig &camera);
    ~LibcameraCamera() override;
    LibcameraCamera(const LibcameraCamera &) = delete;
    LibcameraCamera &operator=(const LibcameraCamera &) = delete;

    const std::string &name() const override { return name_; }
    void start(const CaptureSettings &settings) override;
    Frame captureAt(Nanos t) override;
    Nanos leadTime() const override;
    Frame captureNext() override;
    void stop() override;

private:
    struct Completed {
        libcamera::Request *request;
        Nanos sensorStart; /* CLOCK_MONOTONIC: SensorTimestamp (frame start) - exposure */
        uint64_t sequence;
    };

    void configure(const CaptureSettings &settings);
    std::vector<libcamera::FrameBuffer *> allocateBuffers();
    void mapBuffers();
    void requestCompleted(libcamera::Request *request);
    void requeue(libcamera::Request *request);
    void markOwnBuffer(libcamera::Request *request);
    /* Waits for the first completed frame whose exposure starts at or after `notBefore`
     * (monotonic), re-queueing older ones. */
    Completed waitForFrame(std::optional<Nanos> notBefore);
    /* How long a wait for one frame may take before the camera counts as failed. */
    Nanos frameTimeout() const;
    void convert(const libcamera::FrameBuffer &buffer, Image &image) const;
    void scheduleStart(Nanos startMono);
    Frame toFrame(const Completed &completed);
    void release();

    std::string name_;
    int rotation_;
    std::shared_ptr<libcamera::CameraManager> manager_;
    std::shared_ptr<libcamera::Camera> camera_;
    std::unique_ptr<libcamera::CameraConfiguration> config_;
    std::unique_ptr<libcamera::FrameBufferAllocator> allocator_;
    std::vector<std::unique_ptr<libcamera::FrameBuffer>> ownBuffers_; /* when allocator_ cannot */
    libcamera::Stream *stream_ = nullptr;
    std::vector<std::unique_ptr<libcamera::Request>> requests_;
    std::map<int, std::span<uint8_t>> mappings_; /* dmabuf fd -> whole buffer, mapped once */
    bool running_ = false;
    CaptureSettings settings_;
    int64_t frameDurationUs_ = 0;

    mutable std::mutex mutex_; /* guards everything below, shared with libcamera's thread */
    std::condition_variable frameReady_;
    std::deque<Completed> completed_;
    std::deque<int64_t> durationsToApply_; /* FrameDurationLimits for the next re-queued requests */
    unsigned inFlight_ = 0;
    Nanos lastSensorStart_ = 0;
    Nanos measuredPeriod_ = 0;
    uint64_t nextSequence_ = 0; /* for pipelines that number no frames */
    std::string failure_;
    bool stopping_ = false; /* stop() has begun: completed requests are not re-queued */
};

} // namespace lockstep
