/* A simulated camera as strict as a Raspberry Pi sensor: it streams continuously from start() to
 * stop() and its frame timing obeys the sensor, not the caller. The sensor model
 * (sim_sensor_model.h) has a minimum frame duration, durations in whole lines, a crystal that
 * drifts against CLOCK_REALTIME, a control latency of several frames that lockstep is not told,
 * frame-start timestamps on CLOCK_MONOTONIC with jitter, and a rolling shutter: each band of rows
 * is exposed at its own time, so motion during the readout shows in the picture. The frames are
 * held on the scan's grid by GridLock exactly as the libcamera backend holds a real sensor.
 *
 * The sensor's timeline is virtual and advanced as real time passes (each completed frame goes
 * through GridLock in order, with only what was known at its completion), so nothing runs between
 * calls; a frame is delivered no earlier than the real instant its last row is read out, and a
 * frame asked for after its buffer would have gone back to the sensor is an error. */
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>

#include "camera/camera.h"
#include "camera/sim_sensor_model.h"
#include "config/rig.h"
#include "util/clock_mapping.h"

namespace lockstep
{

class SimCamera : public Camera
{
public:
    SimCamera(const RigConfig &rig, const CameraConfig &camera);

    const std::string &name() const override { return name_; }
    SensorMode configure(const CaptureSettings &settings) override;
    void start(const FrameGrid &grid, const LockOptions &lock) override;
    Frame captureAt(RealtimeInstant t) override;
    void expect(std::span<const RealtimeInstant> instants) override;
    Frame captureNext() override;
    LockStats takeLockStats() override;
    void stop() override;

    /* The sensor's control latency, in frames: for tests, which must not tell lockstep. */
    unsigned controlLatency() const { return latency_; }

private:
    enum class State { Opened, Configured, Streaming };

    struct SensorFrame {
        uint64_t sequence;
        RealtimeInstant start;         /* true first-row exposure start */
        RealtimeInstant reportedStart; /* what the backend makes of the sensor's timestamp */
        RealtimeInstant completion;    /* last row read out */
    };

    void requireState(State state, const char *what) const;
    /* Completes every frame whose last row is read out by `now`. */
    void advance(RealtimeInstant now);
    /* Actual duration of a frame for a requested one: clamped, whole lines, the crystal's rate. */
    Nanoseconds actualDuration(Nanoseconds requested) const;
    RealtimeInstant completionOf(RealtimeInstant start) const;
    /* Waits for the frame whose start is nearest t and returns it. */
    SensorFrame waitForFrameAt(RealtimeInstant t);
    Frame render(const SensorFrame &frame);

    std::string name_;
    double azimuthDeg_;
    bool rotation180_;
    std::string trackPath_; /* empty: no motor turns this scene */
    std::optional<MotorConfig> motor_;
    SimSensorTiming timing_;
    unsigned latency_;
    double rate_; /* the crystal: actual / nominal duration */
    unsigned noiseSeed_;

    State state_ = State::Opened;
    CaptureSettings settings_;
    SensorMode mode_;
    LockOptions lockOptions_;
    std::optional<GridLock> lock_;
    ClockMapping clocks_;

    std::deque<SensorFrame> completed_;    /* the last few, oldest first */
    std::deque<RealtimeInstant> expected_; /* announced instants whose frame has not completed */
    std::deque<SensorFrame> setAside_;     /* completed frames of announced instants */
    std::map<uint64_t, Nanoseconds> requested_; /* frame -> duration requested for it */
    Nanoseconds lastRequested_{0};              /* a duration stays until another is requested */
    uint64_t nextSequence_ = 0;
    RealtimeInstant nextStart_; /* of frame nextSequence_, not yet complete */
};

} // namespace lockstep
