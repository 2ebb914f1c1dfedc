#include "camera/sim_camera.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "camera/sim_scene.h"
#include "gpio/motor_track.h"
#include "gpio/sim_gpio.h"
#include "image/bayer.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

/* From the last row read out to the frame in memory. Covers the simulated GPIO's 2 ms track
 * flush, so the track already holds every step of the exposure when the frame is rendered. */
constexpr Nanoseconds kDelivery = Milliseconds(3);
/* Row bands of a rolling-shutter frame, each exposed at its own time. */
constexpr unsigned kRowBands = 16;
/* Instants sampled over a band's exposure during which the motor moved: the motion blur. */
constexpr unsigned kBlurInstants = 16;
/* Completed frames kept for capture: a buffer goes back to the sensor after this many more. */
constexpr size_t kBuffers = 3;
/* Frames start() waits for the lock, beyond the control latency. */
constexpr unsigned kLockFrames = 60;

uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Triangular in (-limit, limit), reproducible from seed and sequence. */
Nanoseconds jitter(unsigned seed, uint64_t sequence, Nanoseconds limit)
{
    const uint64_t bits = mix(uint64_t(seed) << 32 ^ sequence);
    const double a = double(bits & 0xffffffff) / 4294967296.0;
    const double b = double(bits >> 32) / 4294967296.0;
    return std::chrono::duration_cast<Nanoseconds>((a + b - 1) * FloatSeconds(limit));
}

} // namespace

SimCamera::SimCamera(const RigConfig &rig, const CameraConfig &camera)
    : name_(camera.name), azimuthDeg_(camera.simAzimuth), rotation180_(camera.rotation == 180),
      timing_(simSensorTiming(camera.simSensor)),
      latency_(camera.simControlLatency.value_or(timing_.controlLatency)),
      noiseSeed_(unsigned(std::hash<std::string>{}(camera.name)) | 1u)
{
    /* Each camera's crystal is off by its own amount, reproducibly. */
    rate_ = 1 + (double(mix(noiseSeed_) % 2001) / 1000.0 - 1) * kSimMaxDriftPpm * 1e-6;
    if (camera.simMotor.empty())
        return;
    const MotorConfig *motor = rig.findMotor(camera.simMotor);
    if (!motor)
        throw RunError("camera " + camera.name + ": its scene motor " + camera.simMotor +
                       " is not in the rig");
    motor_ = *motor;
    trackPath_ = simTrackPath(rig.simDir, motor->name);
}

void SimCamera::requireState(State state, const char *what) const
{
    static constexpr const char *names[] = {"opened", "configured", "streaming"};
    if (state_ != state)
        throw RunError("camera " + name_ + ": cannot " + what + " while " +
                       names[static_cast<int>(state_)] + " (needs " +
                       names[static_cast<int>(state)] + ")");
}

SensorMode SimCamera::configure(const CaptureSettings &settings)
{
    if (state_ == State::Streaming)
        throw RunError("camera " + name_ + ": cannot configure while streaming");
    if (settings.exposure <= Microseconds::zero() || settings.width == 0 || settings.height == 0)
        throw RunError("camera " + name_ + ": cannot configure exposure " +
                       std::to_string(settings.exposure.count()) + " us at " +
                       std::to_string(settings.width) + "x" + std::to_string(settings.height));
    settings_ = settings;
    const Nanoseconds exposure = settings.exposure;
    mode_.lineTime = timing_.lineTime;
    mode_.readout = timing_.readout;
    /* A frame is at least the mode's, and long enough for the exposure plus the lines the
     * sensor needs between exposure end and the next frame. */
    const Nanoseconds forExposure = exposure + timing_.integrationDiffLines * timing_.lineTime;
    mode_.minFrameDuration =
        std::max(timing_.minFrameDuration, (forExposure + timing_.lineTime - Nanoseconds(1)) /
                                               timing_.lineTime * timing_.lineTime);
    mode_.maxFrameDuration = kSimMaxFrameDuration;
    state_ = State::Configured;
    return mode_;
}

Nanoseconds SimCamera::actualDuration(Nanoseconds requested) const
{
    const Nanoseconds line = timing_.lineTime;
    const Nanoseconds clamped =
        std::clamp(requested, mode_.minFrameDuration, mode_.maxFrameDuration);
    const int64_t lines = (clamped + line / 2) / line;
    return Nanoseconds(std::llround(double((lines * line).count()) * rate_));
}

RealtimeInstant SimCamera::completionOf(RealtimeInstant start) const
{
    return start + settings_.exposure + mode_.readout + kDelivery;
}

void SimCamera::start(const FrameGrid &grid, const LockOptions &lock)
{
    requireState(State::Configured, "start streaming");
    GridLock::Options options;
    options.scheme = lock.scheme;
    options.mode = mode_;
    options.bound = lock.bound;
    lock_.emplace(grid, options);
    lockOptions_ = lock;

    /* Real sensors start from unrelated power-on instants. Here the phase follows the camera's
     * azimuth, so cameras spread around a turntable never start in step by chance. */
    const double turn = std::fmod(std::fmod(azimuthDeg_, 360.0) + 360.0, 360.0) / 360.0;
    clocks_ = ClockMapping{};
    clocks_.sample();
    completed_.clear();
    expected_.clear();
    setAside_.clear();
    requested_.clear();
    lastRequested_ = lock_->nominalDuration();
    nextSequence_ = 0;
    nextStart_ = RealtimeClock::now() + 2 * mode_.minFrameDuration +
                 std::chrono::duration_cast<Nanoseconds>(turn * FloatSeconds(grid.period));
    state_ = State::Streaming;

    if (lock.scheme != CaptureSync::PhaseLocked)
        return;
    const RealtimeInstant deadline = RealtimeClock::now() +
                                     int64_t(latency_ + kLockFrames) * grid.period +
                                     std::chrono::seconds(1);
    while (!lock_->locked()) {
        if (RealtimeClock::now() > deadline) {
            stop();
            throw RunError("camera " + name_ + " did not lock to the frame grid (period " +
                           msText(grid.period) + ") within " +
                           std::to_string(latency_ + kLockFrames) + " frames");
        }
        sleepUntil(completionOf(nextStart_));
        advance(RealtimeClock::now());
    }
}

void SimCamera::stop()
{
    if (state_ == State::Streaming)
        state_ = State::Configured;
    lock_.reset();
}

void SimCamera::advance(RealtimeInstant now)
{
    clocks_.sample();
    /* The sensor's own view of the clocks: one reading now, exact for the stamp it makes. */
    const ClockMapping sensorClocks = ClockMapping::sampledNow();
    while (completionOf(nextStart_) <= now) {
        const uint64_t n = nextSequence_;
        SensorFrame frame{n, nextStart_, nextStart_, completionOf(nextStart_)};
        /* The sensor stamps the frame start on CLOCK_MONOTONIC (with interrupt jitter); the
         * backend maps it to CLOCK_REALTIME, as it must for a real sensor. */
        const MonotonicInstant stampMono =
            sensorClocks.toMonotonic(nextStart_ + jitter(noiseSeed_, n, kSimTimestampJitter));
        frame.reportedStart = clocks_.toRealtime(stampMono);
        /* What the lock asks for now reaches the sensor `latency_` frames later. */
        requested_[n + latency_] = lock_->onFrame(n, frame.reportedStart);
        completed_.push_back(frame);
        if (completed_.size() > kBuffers)
            completed_.pop_front();
        /* A frame of an announced instant is kept for its capture. */
        const Nanoseconds half = lock_->grid().period / 2;
        while (!expected_.empty() && expected_.front() < frame.reportedStart - half)
            expected_.pop_front(); /* no frame came near it: captureAt will say so */
        if (!expected_.empty() && frame.reportedStart >= expected_.front() - half &&
            frame.reportedStart < expected_.front() + half) {
            setAside_.push_back(frame);
            expected_.pop_front();
        }

        if (auto it = requested_.find(n); it != requested_.end()) {
            lastRequested_ = it->second;
            requested_.erase(it);
        }
        nextStart_ += actualDuration(lastRequested_);
        ++nextSequence_;
    }
}

SimCamera::SensorFrame SimCamera::waitForFrameAt(RealtimeInstant t)
{
    const Nanoseconds period = lock_->grid().period;
    for (;;) {
        advance(RealtimeClock::now());
        /* An announced frame was set aside, however long this thread was kept from asking. */
        while (!setAside_.empty() && setAside_.front().reportedStart < t - period / 2)
            setAside_.pop_front();
        if (!setAside_.empty() && setAside_.front().reportedStart < t + period / 2) {
            const SensorFrame frame = setAside_.front();
            setAside_.pop_front();
            return frame;
        }
        /* Decided once a frame starting half a period after t is complete: the frame nearest t
         * is then known. It may still miss t (checked by the caller). */
        if (!completed_.empty() && completed_.back().reportedStart >= t + period / 2) {
            const auto nearest = std::min_element(completed_.begin(), completed_.end(),
                                                  [t](const auto &a, const auto &b) {
                                                      return std::chrono::abs(a.reportedStart - t) <
                                                             std::chrono::abs(b.reportedStart - t);
                                                  });
            if (nearest->reportedStart < t - period || nearest->reportedStart > t + period)
                throw RunError("camera " + name_ + ": no frame near instant " +
                               std::to_string(wireNanos(t)) +
                               " left: asked for after its buffer went back to the sensor "
                               "(the instant reached this node too late: raise "
                               "capture_margin_ms)");
            return *nearest;
        }
        sleepUntil(completionOf(nextStart_));
    }
}

void SimCamera::expect(std::span<const RealtimeInstant> instants)
{
    requireState(State::Streaming, "expect frames");
    expected_.assign(instants.begin(), instants.end());
    setAside_.clear();
}

Frame SimCamera::captureAt(RealtimeInstant t)
{
    requireState(State::Streaming, "capture");
    advance(RealtimeClock::now());
    lock_->prepareCapture(t);
    const SensorFrame frame = waitForFrameAt(t);
    requireOnInstant(name_, frame.reportedStart, t, lockOptions_.bound);
    return render(frame);
}

Frame SimCamera::captureNext()
{
    requireState(State::Streaming, "capture");
    advance(RealtimeClock::now());
    const uint64_t next = nextSequence_;
    while (completed_.empty() || completed_.back().sequence < next) {
        sleepUntil(completionOf(nextStart_));
        advance(RealtimeClock::now());
    }
    return render(completed_.back());
}

LockStats SimCamera::takeLockStats()
{
    requireState(State::Streaming, "report its lock");
    advance(RealtimeClock::now());
    return lock_->takeStats();
}

Frame SimCamera::render(const SensorFrame &frame)
{
    const Nanoseconds exposure = settings_.exposure;
    const auto fraction = [](Nanoseconds d, double f) {
        return std::chrono::duration_cast<Nanoseconds>(FloatSeconds(d) * f);
    };
    std::vector<std::vector<double>> bands(kRowBands);
    if (motor_) {
        const MotorTrack track = MotorTrack::loadSince(trackPath_, frame.start);
        for (unsigned b = 0; b < kRowBands; ++b) {
            /* Rows are read out top to bottom; each starts its exposure that much later. */
            const RealtimeInstant begin =
                frame.start + fraction(mode_.readout, (b + 0.5) / kRowBands);
            const RealtimeInstant end = begin + exposure;
            const unsigned instants = track.movedDuring(begin, end) ? kBlurInstants : 1;
            for (unsigned i = 0; i < instants; ++i) {
                const RealtimeInstant at = begin + fraction(exposure, (i + 0.5) / instants);
                bands[b].push_back(motor_->positionForStep(track.stepAt(at)));
            }
        }
    } else {
        for (auto &band : bands)
            band.push_back(0.0);
    }

    Frame out;
    out.image =
        renderTurntableBands(settings_.width, settings_.height, bands, azimuthDeg_, rotation180_,
                             noiseSeed_ ^ unsigned(frame.sequence * 0x9e3779b9u));
    if (settings_.writes(ImageFormat::Dng)) {
        /* What a 12-bit sensor with a black level of 256 (the IMX708's, at 12 bits) would
         * have counted for the rendered picture. */
        out.raw = bayerFromYuv(out.image, CfaPattern::Rggb, 12, 256);
        out.raw.sensorModel = "simulated";
    }
    out.sensorTimestamp = frame.reportedStart;
    out.exposure = settings_.exposure;
    out.readout = mode_.readout;
    out.gain = settings_.gain;
    out.sequence = frame.sequence;
    return out;
}

} // namespace lockstep
