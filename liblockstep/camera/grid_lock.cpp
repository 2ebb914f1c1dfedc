#include "camera/grid_lock.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace lockstep
{

namespace
{

/* A probe not seen within this many frames was lost (a dropped frame, a clamped duration):
 * probe again. */
constexpr uint64_t kProbeFrames = 30;
/* How fast the learnt sensor rate follows new frames; and how far a single frame's rate may be
 * from 1 to count at all (a dropped or glitched frame must not teach anything). */
constexpr double kRateGain = 0.05;
constexpr double kRateSanity = 0.005;

} // namespace

void LockStats::add(Nanoseconds error)
{
    ++frames;
    last = error;
    maxAbs = std::max(maxAbs, std::chrono::abs(error));
    sumAbs += std::chrono::abs(error);
}

void LockStats::merge(const LockStats &other)
{
    if (other.frames == 0)
        return;
    frames += other.frames;
    last = other.last;
    maxAbs = std::max(maxAbs, other.maxAbs);
    sumAbs += other.sumAbs;
    if (other.latencyFrames)
        latencyFrames = other.latencyFrames;
}

GridLock::GridLock(const FrameGrid &grid, const Options &options) : grid_(grid), options_(options)
{
}

Nanoseconds GridLock::clampDuration(Nanoseconds d) const
{
    const Nanoseconds low = std::max(Nanoseconds(1), options_.mode.minFrameDuration);
    const Nanoseconds high = options_.mode.maxFrameDuration > Nanoseconds::zero()
                                 ? options_.mode.maxFrameDuration
                                 : Nanoseconds::max();
    d = std::clamp(d, low, high);
    /* Whole lines, as the sensor will make it: then the prediction below is exact. */
    if (const Nanoseconds line = options_.mode.lineTime; line > Nanoseconds::zero())
        d = std::max(low, (d + line / 2) / line * line);
    return d;
}

Nanoseconds GridLock::predictActual(Nanoseconds requested) const
{
    return Nanoseconds(std::llround(double(requested.count()) * rate_));
}

Nanoseconds GridLock::requestedFor(uint64_t frame) const
{
    if (latency_ && frame >= *latency_)
        for (const Issued &issued : issued_)
            if (issued.atFrame == frame - *latency_)
                return issued.duration;
    return clampDuration(grid_.period); /* what the sensor makes of the nominal duration */
}

void GridLock::learnRate(uint64_t sequence, RealtimeInstant start)
{
    if (!lastSequence_ || sequence != *lastSequence_ + 1 || !latency_)
        return;
    const double sample = FloatSeconds(start - lastStart_) / requestedFor(*lastSequence_);
    if (std::abs(sample - 1) < kRateSanity)
        rate_ += kRateGain * (sample - rate_);
}

Nanoseconds GridLock::onFrame(uint64_t sequence, RealtimeInstant start)
{
    learnRate(sequence, start);
    Nanoseconds duration{0};
    if (options_.follow) {
        duration = clampDuration(grid_.period);
        locked_ = locked_ || std::chrono::abs(grid_.errorOf(start)) <= options_.bound;
    } else if (options_.scheme == CaptureSync::PhaseLocked) {
        duration = phaseLocked(sequence, start);
    } else {
        duration = openLoop(start);
    }
    if (locked_)
        stats_.add(grid_.errorOf(start));
    lastSequence_ = sequence;
    lastStart_ = start;
    while (issued_.size() > 2 * size_t(latency_.value_or(0)) + 16)
        issued_.pop_front();
    return duration;
}

Nanoseconds GridLock::phaseLocked(uint64_t n, RealtimeInstant start)
{
    const Nanoseconds period = grid_.period;
    if (!latency_) {
        if (probeFrame_ && lastSequence_ && n == *lastSequence_ + 1 &&
            *lastSequence_ > *probeFrame_) {
            /* The duration of the previous frame: nominal, or the probe's. */
            const Nanoseconds last = start - lastStart_;
            if (std::chrono::abs(last - probeDuration_) < std::chrono::abs(last - period)) {
                latency_ = unsigned(*lastSequence_ - *probeFrame_);
                stats_.latencyFrames = latency_;
                trackingFrom_ = n;
            }
        }
        if (probeFrame_ && !latency_ && n > *probeFrame_ + kProbeFrames) {
            probeFrame_.reset();
            issued_.clear();
        }
        if (!probeFrame_) {
            /* With nominal frames until then, one frame longer by `extra` puts every later frame
             * on the grid, whichever frame it lands on: it shifts them by whole periods plus
             * extra. At least a quarter period more, so the frame that shows it stands out. */
            Nanoseconds extra = grid_.instantAtOrAfter(start) - start;
            if (extra < period / 4)
                extra += period;
            probeFrame_ = n;
            probeDuration_ = clampDuration(period + extra);
            issued_.push_back({n, probeDuration_});
            return probeDuration_;
        }
        if (!latency_)
            return period;
    }

    /* Deadbeat: frames n .. n+L-1 are committed; choose frame n+L's duration so that frame
     * n+L+1 starts on the grid. */
    const unsigned latency = *latency_;
    RealtimeInstant predicted = start;
    for (uint64_t k = n; k < n + latency; ++k)
        predicted += predictActual(requestedFor(k));
    const Nanoseconds want = grid_.nearestInstant(predicted + period) - predicted;
    const Nanoseconds duration =
        clampDuration(Nanoseconds(std::llround(double(want.count()) / rate_)));
    issued_.push_back({n, duration});
    if (!locked_ && n > trackingFrom_ + latency &&
        std::chrono::abs(grid_.errorOf(start)) <= options_.bound)
        locked_ = true;
    return duration;
}

Nanoseconds GridLock::openLoop(RealtimeInstant start)
{
    const Nanoseconds period = grid_.period;
    locked_ = true;
    if (!captureAt_)
        return period;
    /* The old scheme: frames already queued keep their timing, so stretch the frame the assumed
     * latency reaches by the remainder; every later frame, and the one at the instant, follows. */
    const Nanoseconds gap = *captureAt_ - start;
    captureAt_.reset();
    const int64_t k = gap / period;
    const Nanoseconds delay = gap - k * period;
    if (gap < Nanoseconds::zero() || k < int64_t(options_.assumedLatency) + 1 ||
        delay == Nanoseconds::zero())
        return period;
    return clampDuration(period + delay);
}

void GridLock::prepareCapture(RealtimeInstant t)
{
    if (options_.scheme == CaptureSync::OpenLoop)
        captureAt_ = t;
}

bool GridLock::locked() const
{
    return locked_;
}

LockStats GridLock::takeStats()
{
    LockStats taken = stats_;
    stats_ = LockStats{};
    stats_.latencyFrames = latency_;
    return taken;
}

} // namespace lockstep
