/* Cameras, one interface with two backends: libcamera (real) and a simulated camera that
 * renders the turntable as it stands over the exposure. A camera is started once and keeps
 * running between positions; no restart per shot. */
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "config/plan.h"
#include "config/rig.h"
#include "image/image.h"
#include "util/clock.h"

namespace lockstep
{

/* A frame whose exposure starts this little before the instant asked for still counts as
 * starting at it (a sensor retimes in whole lines, and the clock offset is read per frame). */
constexpr Nanos kCaptureAlignTolerance = 2'000'000;

struct Frame {
    Image image;
    Nanos sensorTimestamp = 0; /* start of exposure, CLOCK_REALTIME */
    int64_t exposureUs = 0;
    double gain = 1.0;
    uint64_t sequence = 0;
};

class Camera
{
public:
    virtual ~Camera() = default;

    virtual const std::string &name() const = 0;
    /* Configures and starts streaming with these settings. Throws RunError. */
    virtual void start(const CaptureSettings &settings) = 0;
    /* The frame whose exposure starts at the realtime instant t (the sensor's frame timing is
     * shifted so a frame starts at t, as libcamera's Raspberry Pi sync does). Blocks until the
     * frame is complete. */
    virtual Frame captureAt(Nanos t) = 0;
    /* How long before t captureAt(t) must be called for the frame to start at t: the sensor
     * can only retime frames it has not queued yet. Called later, captureAt takes the first
     * free-running frame after t. Valid once started. */
    virtual Nanos leadTime() const = 0;
    /* The next frame of the free-running stream, whatever its timing (unscheduled). */
    virtual Frame captureNext() = 0;
    virtual void stop() = 0;
};

/* Opens a camera with the backend its rig entry names. A real camera that is not present
 * gives RunError("no camera ... found; libcamera sees: ..."). */
std::unique_ptr<Camera> openCamera(const RigConfig &rig, const CameraConfig &camera);

} // namespace lockstep
