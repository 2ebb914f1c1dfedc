/* A simulated camera with a realistic sensor model: it free-runs at a frame period of
 * max(33.3 ms, exposure) from a random phase of its own, and a scheduled capture shifts that
 * timing so a frame starts at the requested instant, as libcamera's Raspberry Pi sync does.
 * The exposure really takes its time, and its start is the wall-clock time the thread actually
 * woke, so scheduling jitter shows up as skew exactly as it would between real sensors. The
 * frame shows the turntable as the motor's published track says it stood during the exposure. */
#pragma once

#include <optional>
#include <string>

#include "camera/camera.h"
#include "config/rig.h"

namespace lockstep
{

class SimCamera : public Camera
{
public:
    SimCamera(const RigConfig &rig, const CameraConfig &camera);

    const std::string &name() const override { return name_; }
    void start(const CaptureSettings &settings) override;
    Frame captureAt(Nanos t) override;
    Nanos leadTime() const override { return period_; }
    Frame captureNext() override;
    void stop() override;

    /* From one frame's start to the next while free-running. */
    Nanos framePeriod() const { return period_; }

private:
    Nanos nextFrameStart(Nanos t) const;
    Frame expose(Nanos start);
    void requireStarted() const;

    std::string name_;
    double azimuthDeg_;
    bool rotation180_;
    std::string trackPath_; /* empty: no motor turns this scene */
    std::optional<MotorConfig> motor_;

    bool started_ = false;
    CaptureSettings settings_;
    Nanos period_ = 0;
    Nanos gridOrigin_ = 0;  /* free-running frames start at gridOrigin_ + k * period_ */
    Nanos lastStart_ = 0;   /* nominal start of the last frame the sensor produced */
    uint64_t sequence_ = 0; /* counts every sensor frame, delivered or not, as libcamera does */
    unsigned noiseSeed_;
};

} // namespace lockstep
