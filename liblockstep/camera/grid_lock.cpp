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

void LockStats::add(Nanos error)
{
    ++frames;
    last = error;
    maxAbs = std::max(maxAbs, std::abs(error));
    sumAbs += std::abs(error);
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

Nanos GridLock::clampDuration(Nanos d) const
{
    const Nanos low = std::max<Nanos>(1, options_.mode.minFrameDuration);
    const Nanos high = options_.mode.maxFrameDuration > 0 ? options_.mode.maxFrameDuration
                                                          : std::numeric_limits<Nanos>::max();
    d = std::clamp(d, low, high);
    /* Whole lines, as the sensor will make it: then the prediction below is exact. */
    if (const Nanos line = options_.mode.lineTime; line > 0)
        d = std::max(low, (d + line / 2) / line * line);
    return d;
}

Nanos GridLock::predictActual(Nanos requested) const
{
    return Nanos(std::llround(double(requested) * rate_));
}

Nanos GridLock::requestedFor(uint64_t frame) const
{
    if (latency_ && frame >= *latency_)
        for (const Issued &issued : issued_)
            if (issued.atFrame == frame - *latency_)
                return issued.duration;
    return clampDuration(grid_.period); /* what the sensor makes of the nominal duration */
}

void GridLock::learnRate(uint64_t sequence, Nanos start)
{
    if (!lastSequence_ || sequence != *lastSequence_ + 1 || !latency_)
        return;
    const double sample = double(start - lastStart_) / double(requestedFor(*lastSequence_));
    if (std::abs(sample - 1) < kRateSanity)
        rate_ += kRateGain * (sample - rate_);
}

Nanos GridLock::onFrame(uint64_t sequence, Nanos start)
{
    learnRate(sequence, start);
    Nanos duration = 0;
    if (options_.follow) {
        duration = clampDuration(grid_.period);
        locked_ = locked_ || std::abs(grid_.errorOf(start)) <= options_.bound;
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

Nanos GridLock::phaseLocked(uint64_t n, Nanos start)
{
    const Nanos period = grid_.period;
    if (!latency_) {
        if (probeFrame_ && lastSequence_ && n == *lastSequence_ + 1 &&
            *lastSequence_ > *probeFrame_) {
            /* The duration of the previous frame: nominal, or the probe's. */
            const Nanos last = start - lastStart_;
            if (std::abs(last - probeDuration_) < std::abs(last - period)) {
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
            Nanos extra = grid_.instantAtOrAfter(start) - start;
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
    Nanos predicted = start;
    for (uint64_t k = n; k < n + latency; ++k)
        predicted += predictActual(requestedFor(k));
    const Nanos want = grid_.nearestInstant(predicted + period) - predicted;
    const Nanos duration = clampDuration(Nanos(std::llround(double(want) / rate_)));
    issued_.push_back({n, duration});
    if (!locked_ && n > trackingFrom_ + latency && std::abs(grid_.errorOf(start)) <= options_.bound)
        locked_ = true;
    return duration;
}

Nanos GridLock::openLoop(Nanos start)
{
    const Nanos period = grid_.period;
    locked_ = true;
    if (!captureAt_)
        return period;
    /* The old scheme: frames already queued keep their timing, so stretch the frame the assumed
     * latency reaches by the remainder; every later frame, and the one at the instant, follows. */
    const Nanos gap = *captureAt_ - start;
    captureAt_.reset();
    const Nanos k = gap / period;
    const Nanos delay = gap - k * period;
    if (gap < 0 || k < Nanos(options_.assumedLatency) + 1 || delay == 0)
        return period;
    return clampDuration(period + delay);
}

void GridLock::prepareCapture(Nanos t)
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
