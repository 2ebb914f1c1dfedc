#include "scan/scan_rank.h"

#include <algorithm>
#include <cstdio>
#include <sys/resource.h>

#include "scan/plan_queries.h"
#include "scan/thread_priorities.h"
#include "util/errors.h"
#include "util/signal_guard.h"

namespace lockstep
{

/* The capture thread of position k: it waits until k-1's frames are taken, then for the grid
 * frames of k on every camera, while this thread moves the motors and runs the fence. */
void ScanRank::arm(size_t k, RealtimeInstant T)
{
    if (const Nanoseconds late = armedLate(T, RealtimeClock::now()); late > Nanoseconds::zero())
        throw RunError("position " + std::to_string(k) + ": " + msText(late) +
                       " behind the schedule before its capture; the scan stops instead of "
                       "capturing late");
    const std::shared_future<std::shared_ptr<Captured>> previous =
        armed_.empty() ? std::shared_future<std::shared_ptr<Captured>>() : armed_.back().taken;
    const Nanoseconds gap = rules_.gap;
    const unsigned frames = config_.plan.framesPerPosition;
    const Nanoseconds lead = rules_.sync == CaptureSync::OpenLoop
                                 ? kOpenLoopLeadFrames * grid_.period
                                 : Nanoseconds::zero();
    const int capturePriority = scanThreadPriorities(config_.rig.executorPriority).capture;
    const auto taken =
        std::async(std::launch::async, [this, previous, T, gap, frames, lead, capturePriority] {
            if (previous.valid())
                previous.wait();
            auto taken = std::make_shared<Captured>();
            const MonotonicInstant start = MonotonicClock::now();
            try {
                taken->shots = takeShots(cameras_, T, gap, frames, lead, signals_.stopRequested(),
                                         capturePriority);
                for (size_t c = 0; c < cameras_.size(); ++c) {
                    const LockStats stats = cameras_[c]->takeLockStats();
                    taken->lock[node_->hostname + "/" + cameraConfigs_[c]->name] = LockFigures{
                        stats.frames, FloatMicros(stats.maxAbs).count(),
                        FloatMicros(stats.meanAbs()).count(), stats.latencyFrames.value_or(0)};
                }
            } catch (const std::exception &e) {
                taken->error = e.what();
            }
            taken->ms = msSince(start);
            return taken;
        }).share();
    armed_.push_back({k, T, taken});
}

/* The motors of this node, to position k, done (and settled) before T or not at all. */
void ScanRank::move(size_t k, RealtimeInstant T)
{
    NodeTimings &timings = timings_[k];
    const Nanoseconds planned = myMoves_.at(k - first_);
    if (planned == Nanoseconds::zero() || !motors_)
        return;
    std::map<std::string, double> targets;
    for (const auto &[motor, target] : config_.plan.positions[k].targets)
        if (node_->findMotor(motor))
            targets[motor] = target;
    if (const Nanoseconds over = moveOverrun(rules_, RealtimeClock::now(), planned, T);
        over > Nanoseconds::zero())
        throw RunError("position " + std::to_string(k) + ": the move would end " + msText(over) +
                       " too late for the capture; the scan stops instead of capturing late");
    const MonotonicInstant start = MonotonicClock::now();
    const MoveReport report =
        motors_->moveTo(targets, config_.plan.motion, &signals_.stopRequested());
    timings.moveMs = msSince(start);
    if (!report.completed && signals_.stopRequested()) {
        motors_->release(); /* the fence says why, once */
        return;
    }
    if (!report.completed)
        throw RunError("move to position " + std::to_string(k) + " stopped: " + report.stopReason);
    /* The last step, not the return (which also saves the position to a file). */
    const Nanoseconds moveTook = report.endMonotonic - report.startMonotonic;
    const RealtimeInstant moveStart = report.startRealtime;
    const RealtimeInstant still = moveStart + moveTook;
    if (const Nanoseconds late = stillLate(rules_, still, T); late > Nanoseconds::zero())
        throw RunError("position " + std::to_string(k) + ": the motors stood still " +
                       msText(late) + " behind the schedule (the move started " +
                       msText(moveStart - timeline_[k - first_].motionStart) +
                       " after its planned start and took " + msText(moveTook) + ", planned " +
                       msText(planned) + "); the scan stops instead of capturing late");
    timings.settleMs = FloatMillis(T - still).count(); /* still before T: >= settle_ms */
}

/* The frames of the position before, taken by now (or about to be), go to the writers. */
void ScanRank::collect(size_t before)
{
    while (!armed_.empty() && armed_.front().position < before)
        collectOldest();
}

void ScanRank::collectOldest()
{
    const std::shared_ptr<Captured> taken = armed_.front().taken.get();
    const size_t k = armed_.front().position;
    const RealtimeInstant T = armed_.front().T;
    armed_.pop_front();
    if (!taken->error.empty())
        throw RunError(taken->error);
    for (size_t c = 0; c < taken->shots.size(); ++c) {
        Shots &shots = taken->shots[c];
        frameHandling_ = std::max(frameHandling_, shots.handling);
        for (unsigned f = 0; f < shots.frames.size(); ++f)
            sink_->add(unsigned(k), f, T + int64_t(f) * rules_.gap, node_->hostname,
                       cameraConfigs_[c]->name, std::move(shots.frames[f]));
    }
    sink_->submitPosition(); /* durable together, recorded once durable */
    timings_[k].captureMs = taken->ms;
    lock_.insert(taken->lock.begin(), taken->lock.end());
}

RankReport ScanRank::takeReport(std::optional<size_t> timingsOf)
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    RankReport report;
    report.node = node_->hostname;
    report.peakRssKb = usage.ru_maxrss;
    report.frames = sink_->takeWritten();
    report.lock = std::move(lock_);
    lock_.clear();
    if (timingsOf) {
        report.timings = PositionTimings{unsigned(*timingsOf), timings_[*timingsOf]};
        timings_.erase(*timingsOf);
    }
    return report;
}

/* Health to every rank, reports to rank 0. Throws on any rank's error or stop. A rank that
 * entered later than the fence can absorb before position `next` starts moving delays the
 * positions after `next` (whose capture is armed already), alike on every rank: they all hold
 * the same entry times. */
void ScanRank::fence(std::optional<size_t> timingsOf, size_t next)
{
    std::string report;
    try {
        report = encode(takeReport(timingsOf));
    } catch (const std::exception &e) {
        fail(e.what());
        report = encode(RankReport{node_->hostname, 0, {}, {}, {}});
    }
    const RankHealth mine{error_, signals_.signalNumber(), RealtimeClock::now()};
    const Coordinator::Gathered gathered = coord_->gatherStatus(encode(mine), report);
    std::string errors;
    std::string stoppedBy; /* "SIGTERM on pi02, pi03" */
    int signal = 0;        /* the first stopped rank's */
    RealtimeInstant latest;
    for (size_t r = 0; r < gathered.statuses.size(); ++r) {
        const RankHealth h = decodeRankHealth(gathered.statuses[r]);
        if (!h.error.empty())
            errors += (errors.empty() ? "" : "; ") + h.error;
        if (h.signal != 0) {
            stoppedBy += (stoppedBy.empty() ? signalName(h.signal) + " on " : ", ") + hosts_.at(r);
            signal = signal != 0 ? signal : h.signal;
        }
        latest = std::max(latest, h.fenceEntry);
    }
    /* A signal first: the errors a stop causes (a move cut short) are not news. */
    if (!stoppedBy.empty())
        throw ScanEnded(stopMessage(next, stoppedBy), 128 + signal);
    if (!errors.empty())
        throw ScanEnded("error: " + errors, kExitFailure);
    if (recorder_) {
        std::vector<RankReport> reports;
        peakMemory_.clear();
        for (const std::string &text : gathered.reports) {
            reports.push_back(decodeRankReport(text));
            peakMemory_ += (peakMemory_.empty() ? "" : ", ") + reports.back().node + " " +
                           std::to_string(reports.back().peakRssKb / 1024) + " MiB";
        }
        recorder_->record(std::move(reports));
    }
    /* `next` is armed already; the positions after it move with the late rank. */
    if (next + 1 - first_ < timeline_.size())
        delayed_ += delayTimeline(timeline_, next + 1 - first_, grid_,
                                  latest + kFenceAllowance - timeline_[next - first_].motionStart);
}

/* Position k's capture thread is armed before the fence of position k - 1, well before k's
 * motion starts: neither a slow fence nor a main thread woken late by a loaded machine costs
 * the frame. Its instant is final from then on (late fences delay positions after it). */
void ScanRank::armPosition(size_t k)
{
    if (!error_.empty() || signals_.stopRequested() || k - first_ >= timeline_.size())
        return;
    try {
        const RealtimeInstant T = timeline_[k - first_].capture;
        if (recorder_)
            recorder_->beginPosition(unsigned(k), commandedAt(config_.plan, k), T);
        arm(k, T);
    } catch (const std::exception &e) {
        fail(e.what());
    }
}

void ScanRank::runPosition(size_t k)
{
    current_ = k + 1;
    const PlannedPosition &planned = timeline_[k - first_];
    const std::atomic<bool> &stop = signals_.stopRequested();
    if (error_.empty() && sleepUnlessStopped(planned.motionStart, stop)) {
        try {
            move(k, planned.capture);
        } catch (const std::exception &e) {
            fail(e.what());
        }
    }
    armPosition(k + 1);
    if (!stop) {
        try {
            collect(k);
        } catch (const std::exception &e) {
            fail(e.what());
        }
    } else if (motors_) {
        motors_->release(); /* stopping: no holding torque while the ranks agree to end */
    }
    const MonotonicInstant fenceStart = MonotonicClock::now();
    fence(k > first_ ? std::optional<size_t>(k - 1) : std::nullopt, k + 1);
    timings_[k].fenceMs = msSince(fenceStart);
}

void ScanRank::finish(size_t total, std::optional<size_t> last)
{
    try {
        collect(total);
        sink_->drain();
    } catch (const std::exception &e) {
        fail(e.what());
    }
    fence(last, total);
    if (recorder_) {
        recorder_->complete(total);
        progress_->finish("complete, " + std::to_string(recorder_->framesRecorded()) + " frames");
    }
    coord_->fence();

    if (config_.plan.returnHome && motors_ && total > 0) {
        if (!timeline_.empty())
            sleepUntil(timeline_.back().readOut + rules_.bound);
        std::map<std::string, double> home;
        for (const auto &[motor, target] : config_.plan.positions[0].targets)
            if (node_->findMotor(motor))
                home[motor] = target;
        if (!home.empty()) {
            const MoveReport report =
                motors_->moveTo(home, config_.plan.motion, &signals_.stopRequested());
            if (!report.completed)
                throw RunError("return home stopped: " + report.stopReason);
        }
    }
    if (motors_)
        motors_->release();
    if (recorder_) {
        std::printf("scan complete: %zu positions, %zu frames in %s\npeak memory per rank: %s\n",
                    total, recorder_->framesRecorded(), layout_->root.c_str(), peakMemory_.c_str());
        if (delayed_ > Nanoseconds::zero())
            std::printf("the timeline was delayed by %s in all by late fences\n",
                        msText(delayed_).c_str());
    }
}

/* Rank 0's one message when a signal stopped the scan: where it stopped, what is kept, and how
 * to go on. The frames recorded by the fence that stops are written before it is counted. */
std::string ScanRank::stopMessage(size_t position, const std::string &stoppedBy)
{
    std::string text = config_.plan.name + ": stopped by " + stoppedBy + " at position " +
                       std::to_string(position) + " of " +
                       std::to_string(config_.plan.positions.size());
    if (recorder_) {
        try {
            recorder_->flush();
            text += "; " + std::to_string(recorder_->framesRecorded()) + " frames recorded in " +
                    layout_->root;
        } catch (const std::exception &e) {
            text += "; the manifest could not be written: " + std::string(e.what());
        }
    }
    return text + "; continue with the same command and --resume (lockstep scan " + options_.plan +
           (options_.rig.empty() ? "" : " --rig " + options_.rig) + " --out " + options_.out +
           " --resume)";
}

void ScanRank::fail(const std::string &what) noexcept
{
    if (motors_)
        motors_->release();
    if (error_.empty())
        error_ = node_->hostname + ": " + what;
}

} // namespace lockstep
