#include "scan/scan_runner.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sys/resource.h>

#include "camera/camera.h"
#include "commands/config_files.h"
#include "coord/coordinator.h"
#include "motion/motor_group.h"
#include "scan/camera_shots.h"
#include "scan/frame_sink.h"
#include "scan/manifest.h"
#include "scan/manifest_recorder.h"
#include "scan/node_identity.h"
#include "scan/plan_queries.h"
#include "scan/progress.h"
#include "scan/rank_messages.h"
#include "scan/scan_layout.h"
#include "scan/scan_output.h"
#include "scan/scan_schedule.h"
#include "storage/writer_pool.h"
#include "util/atomic_file.h"
#include "util/errors.h"
#include "util/signal_guard.h"

namespace lockstep
{

namespace fs = std::filesystem;

namespace
{

double msSince(Nanos start)
{
    return double(monotonicNow() - start) / 1e6;
}

/* One rank of a scan. Its phases, in order (every rank runs each collective one alike):
 *
 *   Start      identify the node; rank 0 prepares the output and decides where to start
 *              (broadcast); open and configure this node's devices
 *   Grid       gather every camera's mode, derive the frame grid; rank 0 writes scan.json;
 *              start the cameras locked to the grid
 *   Positions  for each position k: Move (wait for the last row of the previous exposure,
 *              move, settle) -> Exchange (statuses; rank 0 records) -> Instant (rank 0
 *              broadcasts T) -> Capture (every camera takes the frame at T; frames go to the
 *              writers while the next move starts)
 *   Finish     drain the writers, a last exchange, rank 0 completes the manifest, a fence;
 *              return home if asked; release the motors
 *
 * A rank's error goes into its status (fail()) and every rank stops at the next exchange with
 * its motors released. */
class ScanRunner
{
public:
    ScanRunner(const ScanOptions &options, SignalGuard &signals)
        : options_(options), signals_(signals)
    {
    }
    /* The watcher must not call into motors_ once it is gone. */
    ~ScanRunner() { signals_.setEmergency({}); }
    ScanRunner(const ScanRunner &) = delete;
    ScanRunner &operator=(const ScanRunner &) = delete;

    int run();

private:
    /* Start */
    void identify();
    StartDecision decideStart();
    void openDevices();
    /* Grid */
    void agreeOnGrid();
    void startCameras();
    /* One frame from every camera before the scan, for frameHandling_'s first value. */
    void warmUpCameras();
    LockOptions lockOptions() const;
    /* Positions */
    void moveAndSettle(size_t k);
    void waitBeforeMoving() const;
    void exchange(std::optional<size_t> timingsOf);
    RankStatus takeStatus(std::optional<size_t> timingsOf);
    void capture(size_t k, Nanos T);
    /* Finish */
    void finish(size_t total, std::optional<size_t> previous);

    void fail(const std::string &what) noexcept;

    const ScanOptions &options_;
    SignalGuard &signals_;
    std::unique_ptr<Coordinator> coord_;
    LoadedConfig config_;
    const NodeConfig *node_ = nullptr;
    std::vector<std::string> hosts_; /* by rank */
    std::optional<ScanLayout> layout_;

    std::vector<std::string> motorNames_;
    std::unique_ptr<MotorGroup> motors_;
    std::vector<const CameraConfig *> cameraConfigs_;
    std::vector<std::unique_ptr<Camera>> cameras_;
    std::vector<SensorMode> modes_; /* this node's cameras', as configured */
    FrameGrid grid_;
    Nanos scanReadout_ = 0; /* the longest readout of any camera on any rank */
    std::unique_ptr<FrameSink> sink_;

    /* Rank 0 */
    std::unique_ptr<ManifestRecorder> recorder_;
    std::unique_ptr<OutputLock> outputLock_; /* rank 0: the folder is this scan's until it ends */
    std::unique_ptr<Progress> progress_;
    std::optional<std::pair<std::string, std::string>> newScanTexts_; /* plan, rig */

    std::map<size_t, NodeTimings> timings_; /* this node's, by position, until sent */
    std::string error_;
    Nanos lastRowReadOut_ = 0; /* realtime: the last row of the last exposure read out */
    Nanos frameHandling_ = 0;  /* this node's longest handlingOf() a frame so far */
    Nanos scanHandling_ = 0;   /* the longest frameHandling_ of any rank */
    std::string peakMemory_;   /* every rank's peak resident memory, as of the last exchange */
};

void ScanRunner::identify()
{
    if (options_.nodeByRank)
        node_ = &nodeForRank(config_.rig, coord_->rank(), coord_->size());
    else
        node_ = &resolveNode(config_.rig, options_.node);

    hosts_ = coord_->allGather(node_->hostname);
    checkRanks(config_.rig, config_.plan, hosts_);
}

StartDecision ScanRunner::decideStart()
{
    PreparedOutput prepared = prepareOutput(*layout_, config_, options_.resume);
    if (prepared.manifest)
        recorder_ =
            std::make_unique<ManifestRecorder>(std::move(prepared.manifest), prepared.framesKept);
    newScanTexts_ = std::move(prepared.newScanTexts);
    outputLock_ = std::move(prepared.lock);
    return prepared.decision;
}

void ScanRunner::openDevices()
{
    motorNames_ = scanMotors(config_.plan, *node_);
    if (!motorNames_.empty()) {
        ExecutorOptions options = executorOptionsFor(config_.rig);
        options.recordLateness = false; /* a scan keeps only the worst edge per move */
        motors_ = std::make_unique<MotorGroup>(config_.rig, *node_, motorNames_, options);
        MotorGroup *group = motors_.get();
        signals_.setEmergency([group] { group->release(); });
        if (!motors_->realtimeStatus().warning.empty())
            std::fprintf(stderr, "lockstep: %s: warning: %s\n", node_->hostname.c_str(),
                         motors_->realtimeStatus().warning.c_str());
    }
    cameraConfigs_ = scanCameras(config_.plan, *node_);
    for (const CameraConfig *config : cameraConfigs_) {
        cameras_.push_back(openCamera(config_.rig, *config));
        modes_.push_back(cameras_.back()->configure(config_.plan.capture));
    }
    sink_ = std::make_unique<FrameSink>(*layout_, config_.plan, options_.writerThreads,
                                        options_.writerQueue);
}

void ScanRunner::agreeOnGrid()
{
    std::vector<SensorMode> all;
    for (const std::string &text : coord_->allGather(encode(modes_)))
        for (const SensorMode &mode : decodeSensorModes(text))
            all.push_back(mode);
    for (const SensorMode &mode : all)
        scanReadout_ = std::max(scanReadout_, mode.readout);
    grid_ = chooseFrameGrid(all, config_.plan.capture.exposureUs * 1000);
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

LockOptions ScanRunner::lockOptions() const
{
    return {config_.plan.capture.sync, config_.plan.maxSkewUs * 1000};
}

/* Each camera locks on its own (a second or so): all at once. */
void ScanRunner::startCameras()
{
    std::vector<std::future<void>> started;
    for (auto &camera : cameras_)
        started.push_back(std::async(
            std::launch::async, [this, cam = camera.get()] { cam->start(grid_, lockOptions()); }));
    for (auto &s : started)
        s.get();
    if (config_.plan.framesPerPosition > 1)
        warmUpCameras();
}

void ScanRunner::warmUpCameras()
{
    std::vector<std::future<Nanos>> shots;
    for (auto &camera : cameras_) {
        Camera *cam = camera.get();
        shots.push_back(
            std::async(std::launch::async, [cam] { return handlingOf(cam->captureNext()); }));
    }
    for (auto &shot : shots)
        frameHandling_ = std::max(frameHandling_, shot.get());
}

/* Every node, not only the one whose camera it is: another node's rolling shutter is still
 * exposing its last rows until T + exposure + readout, and it films this node's motors. A frame
 * may start up to the lock bound late (later is an error at capture). */
void ScanRunner::waitBeforeMoving() const
{
    if (lastRowReadOut_ > 0)
        sleepUntil(CLOCK_REALTIME, lastRowReadOut_ + lockOptions().bound);
}

void ScanRunner::moveAndSettle(size_t k)
{
    NodeTimings &timings = timings_[k];
    std::map<std::string, double> targets;
    for (const auto &[motor, target] : config_.plan.positions[k].targets)
        if (node_->findMotor(motor))
            targets[motor] = target;
    if (targets.empty() || !motors_)
        return;

    waitBeforeMoving();
    const Nanos start = monotonicNow();
    const MoveReport report =
        motors_->moveTo(targets, config_.plan.motion, &signals_.stopRequested());
    timings.moveMs = msSince(start);
    if (!report.completed)
        throw RunError("move to position " + std::to_string(k) + " stopped: " + report.stopReason);
    const Nanos settleStart = monotonicNow();
    sleepUntil(CLOCK_MONOTONIC, settleStart + config_.plan.settleMs * 1'000'000);
    timings.settleMs = msSince(settleStart);
}

void ScanRunner::capture(size_t k, Nanos T)
{
    const ScanPlan &plan = config_.plan;
    const Nanos start = monotonicNow();
    const Nanos gap = frameGap(grid_, scanHandling_);
    if (const Nanos ahead = T - realtimeNow(); ahead < 0)
        std::fprintf(stderr,
                     "lockstep: %s: warning: position %zu: capture instant arrived %.1f ms late; "
                     "raise capture_margin_ms\n",
                     node_->hostname.c_str(), k, double(-ahead) / 1e6);

    std::vector<Shots> shots = takeShots(cameras_, T, gap, plan.framesPerPosition);
    for (size_t c = 0; c < shots.size(); ++c) {
        frameHandling_ = std::max(frameHandling_, shots[c].handling);
        for (unsigned f = 0; f < shots[c].frames.size(); ++f)
            sink_->submit(unsigned(k), f, T + Nanos(f) * gap, node_->hostname,
                          cameraConfigs_[c]->name, std::move(shots[c].frames[f]));
    }
    lastRowReadOut_ = lastRowReadOut(T, plan.framesPerPosition, gap, plan.capture.exposureUs * 1000,
                                     scanReadout_);
    timings_[k].captureMs = msSince(start);
}

RankStatus ScanRunner::takeStatus(std::optional<size_t> timingsOf)
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    RankStatus status;
    status.node = node_->hostname;
    status.error = error_;
    status.stop = signals_.stopRequested().load();
    status.handling = frameHandling_;
    status.peakRssKb = usage.ru_maxrss;
    status.frames = sink_->takeWritten();
    for (size_t c = 0; c < cameras_.size() && error_.empty(); ++c) {
        const LockStats stats = cameras_[c]->takeLockStats();
        status.lock[node_->hostname + "/" + cameraConfigs_[c]->name] =
            LockFigures{stats.frames, double(stats.maxAbs) / 1e3, double(stats.meanAbs()) / 1e3,
                        stats.latencyFrames.value_or(0)};
    }
    if (timingsOf) {
        status.timings = PositionTimings{unsigned(*timingsOf), timings_[*timingsOf]};
        timings_.erase(*timingsOf);
    }
    return status;
}

/* Every rank's status to every rank; rank 0 records them. Throws on any rank's error or stop. */
void ScanRunner::exchange(std::optional<size_t> timingsOf)
{
    std::vector<RankStatus> statuses;
    for (const std::string &text : coord_->allGather(encode(takeStatus(timingsOf))))
        statuses.push_back(decodeRankStatus(text));
    std::string errors;
    bool stop = false;
    scanHandling_ = 0;
    peakMemory_.clear();
    for (const RankStatus &s : statuses) {
        scanHandling_ = std::max(scanHandling_, s.handling);
        if (!s.error.empty())
            errors += (errors.empty() ? "" : "; ") + s.error;
        stop = stop || s.stop;
        peakMemory_ += (peakMemory_.empty() ? "" : ", ") + s.node + " " +
                       std::to_string(s.peakRssKb / 1024) + " MiB";
    }
    if (recorder_ && errors.empty())
        recorder_->record(statuses);
    if (!errors.empty())
        throw RunError(errors);
    if (stop)
        throw RunError("stopped by a signal; continue later with --resume");
}

void ScanRunner::finish(size_t total, std::optional<size_t> previous)
{
    try {
        sink_->drain();
    } catch (const std::exception &e) {
        fail(e.what());
    }
    exchange(previous);
    if (recorder_) {
        recorder_->complete(total);
        progress_->finish("complete, " + std::to_string(recorder_->framesRecorded()) + " frames");
    }
    coord_->fence();

    if (config_.plan.returnHome && motors_ && total > 0)
        moveAndSettle(0);
    if (motors_)
        motors_->release();
    if (recorder_)
        std::printf("scan complete: %zu positions, %zu frames in %s\npeak memory per rank: %s\n",
                    total, recorder_->framesRecorded(), layout_->root.c_str(), peakMemory_.c_str());
}

void ScanRunner::fail(const std::string &what) noexcept
{
    if (motors_)
        motors_->release();
    if (error_.empty())
        error_ = node_->hostname + ": " + what;
}

int ScanRunner::run()
{
    /* Start */
    coord_ = underPmix() ? connectPmix() : soloCoordinator();
    config_ = loadPlanAndRig(options_.plan, options_.rig);
    layout_.emplace(options_.out, config_.plan.name);
    identify();
    StartDecision decision;
    if (coord_->rank() == 0)
        decision = decideStart();
    decision = decodeStartDecision(coord_->broadcast(encode(decision)));
    if (!decision.inputError.empty())
        throw InputError(decision.inputError);
    if (!decision.runError.empty())
        throw RunError(decision.runError);
    try {
        openDevices();
    } catch (const std::exception &e) {
        fail(e.what());
    }

    /* Grid */
    agreeOnGrid();
    if (error_.empty()) {
        try {
            startCameras();
        } catch (const std::exception &e) {
            fail(e.what());
        }
    }

    /* Positions */
    const ScanPlan &plan = config_.plan;
    const size_t total = plan.positions.size();
    if (coord_->rank() == 0) {
        progress_ = std::make_unique<Progress>(plan.name, total, decision.firstPosition);
        if (decision.firstPosition > 0)
            std::fprintf(stderr, "%s: resuming at position %zu of %zu\n", plan.name.c_str(),
                         decision.firstPosition + 1, total);
    }
    std::optional<size_t> previous;
    for (size_t k = decision.firstPosition; k < total; ++k) {
        if (error_.empty()) {
            try {
                moveAndSettle(k);
            } catch (const std::exception &e) {
                fail(e.what());
            }
        }
        exchange(previous);
        const Nanos T = std::stoll(coord_->broadcast(std::to_string(captureInstant(
            grid_, realtimeNow(), plan.captureMarginMs * 1'000'000, plan.capture.sync))));
        if (recorder_)
            recorder_->beginPosition(unsigned(k), commandedAt(plan, k), T);
        try {
            capture(k, T);
        } catch (const std::exception &e) {
            fail(e.what());
        }
        previous = k;
        if (progress_)
            progress_->update(k + 1);
    }

    /* Finish */
    finish(total, previous);
    return kExitOk;
}

} // namespace

int runScan(const ScanOptions &options, SignalGuard &signals)
{
    try {
        ScanRunner runner(options, signals);
        return runner.run();
    } catch (const RunError &e) {
        if (signals.signalNumber() == 0)
            throw;
        std::fprintf(stderr, "lockstep: %s\n", e.what());
        return 128 + signals.signalNumber();
    }
}

} // namespace lockstep
