#include "camera/sim_camera.h"

#include <cmath>
#include <functional>
#include <vector>

#include "camera/sim_scene.h"
#include "gpio/motor_track.h"
#include "gpio/sim_gpio.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

constexpr Nanos kMinFramePeriod = 33'333'333; /* 30 fps, a typical sensor mode */
/* From exposure end to delivery. Covers the simulated GPIO's 2 ms track flush, so the track
 * already holds every step of the exposure when the frame is rendered. */
constexpr Nanos kReadout = 5'000'000;
/* Instants sampled over an exposure during which the motor moved: the motion blur. */
constexpr unsigned kBlurInstants = 16;

/* floor(a / b) for b > 0, also for negative a. */
Nanos floorDiv(Nanos a, Nanos b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

} // namespace

SimCamera::SimCamera(const RigConfig &rig, const CameraConfig &camera)
    : name_(camera.name), azimuthDeg_(camera.simAzimuth), rotation180_(camera.rotation == 180),
      noiseSeed_(unsigned(std::hash<std::string>{}(camera.name)) | 1u)
{
    if (camera.simMotor.empty())
        return;
    const MotorConfig *motor = rig.findMotor(camera.simMotor);
    if (!motor)
        throw RunError("camera " + camera.name + ": its scene motor " + camera.simMotor +
                       " is not in the rig");
    motor_ = *motor;
    trackPath_ = simTrackPath(rig.simDir, motor->name);
}

void SimCamera::start(const CaptureSettings &settings)
{
    if (settings.exposureUs <= 0 || settings.width == 0 || settings.height == 0)
        throw RunError("camera " + name_ + ": cannot start with exposure " +
                       std::to_string(settings.exposureUs) + " us at " +
                       std::to_string(settings.width) + "x" + std::to_string(settings.height));
    settings_ = settings;
    period_ = std::max(kMinFramePeriod, Nanos(settings.exposureUs) * 1000);
    /* Real sensors free-run from unrelated power-on instants. Here the phase follows the
     * camera's azimuth, so cameras spread around a turntable are never in step by chance and
     * an unscheduled capture always shows its skew (a random phase did not, now and then). */
    const double turn = std::fmod(std::fmod(azimuthDeg_, 360.0) + 360.0, 360.0) / 360.0;
    const Nanos now = realtimeNow();
    gridOrigin_ = now - now % period_ + Nanos(turn * double(period_));
    lastStart_ = gridOrigin_ - period_;
    started_ = true;
}

void SimCamera::stop()
{
    started_ = false;
}

void SimCamera::requireStarted() const
{
    if (!started_)
        throw RunError("camera " + name_ + " is not started");
}

/* The first free-running frame that starts at or after t. */
Nanos SimCamera::nextFrameStart(Nanos t) const
{
    return gridOrigin_ + (floorDiv(t - gridOrigin_ - 1, period_) + 1) * period_;
}

Frame SimCamera::captureNext()
{
    requireStarted();
    return expose(nextFrameStart(realtimeNow()));
}

Frame SimCamera::captureAt(Nanos t)
{
    requireStarted();
    /* Like a real sensor, the frame under way cannot be retimed: asked too late, the camera
     * gives the first free-running frame after t, and verify sees the skew. */
    if (t - realtimeNow() < leadTime())
        return expose(nextFrameStart(t));
    /* One stretched frame, then the sensor free-runs from t. */
    gridOrigin_ = t;
    return expose(t);
}

Frame SimCamera::expose(Nanos start)
{
    sleepUntil(CLOCK_REALTIME, start);
    /* The exposure starts when this thread actually runs: late wake-ups are honest skew. */
    const Nanos begin = realtimeNow();
    const Nanos exposure = Nanos(settings_.exposureUs) * 1000;
    const Nanos end = begin + exposure;
    sequence_ += uint64_t(std::max<Nanos>(1, (start - lastStart_) / period_));
    lastStart_ = start;
    sleepUntil(CLOCK_REALTIME, end + kReadout);

    std::vector<double> angles;
    if (motor_) {
        const MotorTrack track = MotorTrack::loadSince(trackPath_, begin);
        const unsigned instants = track.movedDuring(begin, end) ? kBlurInstants : 1;
        angles.reserve(instants);
        for (unsigned i = 0; i < instants; ++i) {
            const Nanos t = begin + Nanos(double(exposure) * (i + 0.5) / instants);
            angles.push_back(motor_->positionForStep(track.stepAt(t)));
        }
    } else {
        angles.push_back(0.0);
    }

    Frame frame;
    frame.image = renderTurntable(settings_.width, settings_.height, angles, azimuthDeg_,
                                  rotation180_, noiseSeed_ ^ unsigned(sequence_ * 0x9e3779b9u));
    frame.sensorTimestamp = begin;
    frame.exposureUs = settings_.exposureUs;
    frame.gain = settings_.gain;
    frame.sequence = sequence_;
    return frame;
}

} // namespace lockstep
