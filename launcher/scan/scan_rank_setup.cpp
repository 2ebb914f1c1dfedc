#include "scan/scan_rank.h"

#include <algorithm>
#include <cstdio>
#include <future>

#include "scan/exchange_trials.h"
#include "scan/node_identity.h"
#include "scan/plan_queries.h"
#include "util/errors.h"
#include "util/signal_guard.h"

namespace lockstep
{

void ScanRank::identify()
{
    if (options_.nodeByRank)
        node_ = &nodeForRank(config_.rig, coord_->rank(), coord_->size());
    else
        node_ = &resolveNode(config_.rig, options_.node);

    hosts_ = coord_->allGather(node_->hostname);
    checkRanks(config_.rig, config_.plan, hosts_);
}

StartDecision ScanRank::decideStart()
{
    PreparedOutput prepared = prepareOutput(*layout_, config_, options_.resume);
    if (prepared.manifest)
        recorder_ =
            std::make_unique<ManifestRecorder>(std::move(prepared.manifest), prepared.framesKept);
    newScanTexts_ = std::move(prepared.newScanTexts);
    outputLock_ = std::move(prepared.lock);
    return prepared.decision;
}

void ScanRank::openDevices()
{
    motorNames_ = scanMotors(config_.plan, *node_);
    if (!motorNames_.empty()) {
        ExecutorOptions options = executorOptionsFor(config_.rig);
        options.recordLateness = false; /* a scan keeps only the worst edge per move */
        motors_ = std::make_unique<MotorGroup>(config_.rig, *node_, motorNames_, options);
        if (!motors_->realtimeStatus().warning.empty())
            std::fprintf(stderr, "lockstep: %s: warning: %s\n", node_->hostname.c_str(),
                         motors_->realtimeStatus().warning.c_str());
    }
    /* A signal ends the scan at the next fence, alike on every rank; rank 0, if signalled,
     * says where to resume at once (a launcher that is ending the job may stop passing output
     * on soon). A rank still here after kSignalGrace releases its motors and leaves. */
    const auto sayStopped = [this] {
        if (coord_->rank() == 0)
            say(stopMessage(current_.load(),
                            signalName(signals_.signalNumber()) + " on " + node_->hostname));
    };
    signals_.setNotice(sayStopped);
    signals_.setEmergency(
        [this, sayStopped] {
            if (motors_)
                motors_->release();
            sayStopped();
        },
        kSignalGrace);
    cameraConfigs_ = scanCameras(config_.plan, *node_);
    for (const CameraConfig *config : cameraConfigs_) {
        cameras_.push_back(openCamera(config_.rig, *config));
        modes_.push_back(cameras_.back()->configure(config_.plan.capture));
    }
    sink_ = std::make_unique<FrameSink>(*layout_, config_.plan, options_.writerThreads,
                                        options_.writerQueue);
}

void ScanRank::agreeOnGrid()
{
    std::vector<SensorMode> all;
    for (const std::string &text : coord_->allGather(encode(modes_)))
        for (const SensorMode &mode : decodeSensorModes(text))
            all.push_back(mode);
    for (const SensorMode &mode : all)
        scanReadout_ = std::max(scanReadout_, mode.readout);
    grid_ = chooseFrameGrid(all, config_.plan.capture.exposure);
    if (newScanTexts_) {
        try {
            const ScanFacts facts{hosts_, grid_, scanReadout_,
                                  coord_->reusesKeys() ? "pmix, two keys reused"
                                                       : "pmix, key per exchange"};
            writeScanJson(*layout_, config_, facts, newScanTexts_->first, newScanTexts_->second);
        } catch (const std::exception &e) {
            fail(e.what());
        }
    }
}

LockOptions ScanRank::lockOptions() const
{
    return {config_.plan.capture.sync, config_.plan.maxSkew};
}

/* Each camera locks on its own (a second or so): all at once. */
void ScanRank::startCameras()
{
    std::vector<std::future<void>> started;
    for (auto &camera : cameras_)
        started.push_back(std::async(
            std::launch::async, [this, cam = camera.get()] { cam->start(grid_, lockOptions()); }));
    for (auto &s : started)
        s.get();
    /* Also brings every stream up to date before the timeline starts: the first capture then
     * costs what any other does. */
    warmUpCameras();
}

void ScanRank::warmUpCameras()
{
    std::vector<std::future<Nanoseconds>> shots;
    for (auto &camera : cameras_) {
        Camera *cam = camera.get();
        shots.push_back(
            std::async(std::launch::async, [cam] { return handlingOf(cam->captureNext()); }));
    }
    for (auto &shot : shots)
        frameHandling_ = std::max(frameHandling_, shot.get());
}

/* Each node plans its own moves, every rank gets all of them and rank 0's start, and every
 * rank computes the same timeline from them. */
void ScanRank::planTimeline(size_t first)
{
    const ScanPlan &plan = config_.plan;
    first_ = first;
    TimelineOffer offer;
    offer.moves.assign(plan.positions.size() - first, Nanoseconds::zero());
    if (motors_ && error_.empty()) {
        std::vector<std::map<std::string, double>> targets;
        for (size_t k = first; k < plan.positions.size(); ++k) {
            std::map<std::string, double> &mine = targets.emplace_back();
            for (const auto &[motor, target] : plan.positions[k].targets)
                if (node_->findMotor(motor))
                    mine[motor] = target;
        }
        try {
            offer.moves = motors_->plannedDurations(targets, plan.motion);
        } catch (const std::exception &e) {
            fail(e.what());
        }
    }
    myMoves_ = offer.moves;
    /* What a position's exchange costs here and now: the timeline leaves room for one per
     * position. The trial sends what a healthy position's exchange does. */
    offer.fence =
        medianExchange(*coord_, encode(RankHealth{"", 0, RealtimeClock::now()}),
                       encode(RankReport{node_->hostname, 0, {}, {}, {}}), kTrialExchanges);
    offer.handling = frameHandling_;
    offer.error = error_;
    offer.stop = signals_.stopRequested().load();
    offer.offeredAt = RealtimeClock::now();

    std::vector<Nanoseconds> slowest(offer.moves.size(), Nanoseconds::zero());
    RealtimeInstant start;
    Nanoseconds fence{0};
    std::string errors;
    bool stop = false;
    const std::vector<std::string> all = coord_->allGather(encode(offer));
    for (size_t r = 0; r < all.size(); ++r) {
        const TimelineOffer o = decodeTimelineOffer(all[r]);
        if (o.moves.size() != slowest.size())
            throw RunError("rank " + std::to_string(r) + " planned another number of positions");
        for (size_t i = 0; i < slowest.size(); ++i)
            slowest[i] = std::max(slowest[i], o.moves[i]);
        scanHandling_ = std::max(scanHandling_, o.handling);
        fence = std::max(fence, o.fence);
        if (!o.error.empty())
            errors += (errors.empty() ? "" : "; ") + o.error;
        stop = stop || o.stop;
        start = std::max(start, o.offeredAt);
    }
    if (!errors.empty())
        throw RunError(errors);
    if (stop)
        throw RunError("stopped by a signal; continue later with --resume");
    /* The first motion: a margin after the last rank offered (the same on every rank). */
    start += plan.captureMargin + kFenceAllowance;

    rules_.grid = grid_;
    rules_.exposure = plan.capture.exposure;
    rules_.readout = scanReadout_;
    rules_.bound = lockOptions().bound;
    rules_.settle = plan.settle;
    rules_.moveSlack = std::max(kExecutorSlack, executorOptionsFor(config_.rig).maxLateness);
    rules_.gap = frameGap(grid_, scanHandling_);
    rules_.frames = plan.framesPerPosition;
    rules_.sync = plan.capture.sync;
    /* A fence, its collect and the next arm: the slowest rank's median fence twice over. */
    rules_.coordination = 2 * fence + kFenceAllowance;
    timeline_ = lockstep::planTimeline(rules_, start, slowest);
}

} // namespace lockstep
