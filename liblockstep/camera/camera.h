/* Cameras, one interface with two backends: libcamera (real) and a simulated sensor that renders
 * the turntable row by row as it stands while each row is exposed.
 *
 * A camera's states, enforced by every backend (a call in the wrong state throws RunError):
 *
 *   Opened --configure()--> Configured --start(grid)--> Streaming --stop()--> Configured
 *
 * configure() may be called again in Configured. While Streaming the sensor runs continuously at
 * the grid's period with its frames held on the grid (GridLock); a capture selects the frame that
 * starts at its instant: no restart and no retiming per shot. */
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "camera/frame_grid.h"
#include "camera/grid_lock.h"
#include "config/plan.h"
#include "config/rig.h"
#include "image/raw_image.h"
#include "image/yuv420_image.h"
#include "util/chrono_clocks.h"
#include "util/errors.h"

namespace lockstep
{

/* A captured frame: its pixels in 4:2:0 YUV as the sensor pipeline gave them (half the bytes of
 * RGB; a JPEG is encoded from them as they are), and how it was taken. */
struct Frame {
    Yuv420Image image;
    RawImage raw; /* the sensor's mosaic, only when the plan writes DNG (empty otherwise) */
    RealtimeInstant sensorTimestamp; /* exposure start of the first row */
    Microseconds exposure{0};
    Nanoseconds readout{0}; /* first row start to last row start (rolling shutter) */
    double gain = 1.0;
    uint64_t sequence = 0;
};

/* How a streaming camera holds the grid. */
struct LockOptions {
    CaptureSync scheme = CaptureSync::PhaseLocked;
    /* A frame whose start is further than this from its instant is an error at capture time:
     * the plan's max_skew_us. */
    Nanoseconds bound = Milliseconds(5);
};

class Camera
{
public:
    virtual ~Camera() = default;

    virtual const std::string &name() const = 0;
    /* Opened or Configured -> Configured: size, exposure, gain. Returns what the chosen sensor
     * mode allows, from which the scan's grid is chosen. Throws RunError. */
    virtual SensorMode configure(const CaptureSettings &settings) = 0;
    /* Configured -> Streaming at grid.period, frames held on the grid. Returns once the lock
     * holds (PhaseLocked), or throws RunError if it does not within a few seconds. */
    virtual void start(const FrameGrid &grid, const LockOptions &lock) = 0;
    /* The frame that starts at grid instant t; blocks until it is complete. Throws RunError if
     * t has passed, or the frame's start misses t by more than the lock bound (it names both). */
    virtual Frame captureAt(RealtimeInstant t) = 0;
    /* Announces the instants of the next captures (grid instants, in order): their frames are
     * then set aside as they complete, however late captureAt() asks for them, rather than
     * going back to the sensor with the other buffers. A backend that cannot set frames aside
     * ignores it. */
    virtual void expect(std::span<const RealtimeInstant> instants) { (void)instants; }
    /* The next frame of the stream, whatever its timing. */
    virtual Frame captureNext() = 0;
    /* Lock error figures since the last call. */
    virtual LockStats takeLockStats() = 0;
    /* Streaming -> Configured. Harmless in other states. */
    virtual void stop() = 0;
};

/* The check every backend makes on the frame it selected for instant t: RunError("camera C: the
 * frame for <t> started <x> ms late/early, more than the bound ...") when it missed. */
void requireOnInstant(const std::string &camera, RealtimeInstant start, RealtimeInstant t,
                      Nanoseconds bound);

/* Opens a camera with the backend its rig entry names. A real camera that is not present
 * gives RunError("no camera ... found; libcamera sees: ..."). */
std::unique_ptr<Camera> openCamera(const RigConfig &rig, const CameraConfig &camera);

} // namespace lockstep
