#include "scan/scan_runner.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <future>
#include <libcamera/version.h>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <pthread.h>
#include <sched.h>
#include <set>
#include <slurm/slurm_version.h>
#include <sys/resource.h>
#include <unistd.h>

#include "camera/camera.h"
#include "commands/config_files.h"
#include "coord/coordinator.h"
#include "motion/motor_group.h"
#include "scan/manifest.h"
#include "scan/node_identity.h"
#include "scan/plan_queries.h"
#include "scan/progress.h"
#include "scan/scan_layout.h"
#include "storage/writer_pool.h"
#include "util/atomic_file.h"
#include "util/errors.h"
#include "util/signal_guard.h"

namespace lockstep
{

using nlohmann::json;
namespace fs = std::filesystem;

namespace
{

/* Open loop only: how far ahead of a capture its instant must be for the sensor to be retimed
 * (buffers in flight + 2 frames, the latency that scheme assumes). */
constexpr Nanos kOpenLoopLeadFrames = 5;

double msSince(Nanos start)
{
    return double(monotonicNow() - start) / 1e6;
}

/* The thread that waits for the capture instant is as time-critical as the step executor: a
 * late wake-up is skew. SCHED_FIFO just below the executor where permitted; where it is not,
 * the executor has already said so, and the normal scheduler is used. */
void raiseCapturePriority()
{
    sched_param param{};
    param.sched_priority = sched_get_priority_max(SCHED_FIFO) / 2 - 1;
    pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
}

/* The agreement every rank reaches before the first move: where to start, or why not. */
struct StartDecision {
    size_t firstPosition = 0;
    std::string inputError;
    std::string runError;
};

json toJson(const StartDecision &d)
{
    return {{"first", d.firstPosition}, {"input_error", d.inputError}, {"run_error", d.runError}};
}

StartDecision startFromJson(const json &j)
{
    return {j.at("first").get<size_t>(), j.at("input_error").get<std::string>(),
            j.at("run_error").get<std::string>()};
}

/* "22.05.8", as Slurm writes its own version. */
std::string slurmVersion()
{
    char text[32];
    std::snprintf(text, sizeof(text), "%d.%02d.%d", SLURM_VERSION_MAJOR(SLURM_VERSION_NUMBER),
                  SLURM_VERSION_MINOR(SLURM_VERSION_NUMBER),
                  SLURM_VERSION_MICRO(SLURM_VERSION_NUMBER));
    return text;
}

/* What one camera thread took at one position, and the longest hand-over among them. */
struct Shots {
    std::vector<Frame> frames;
    Nanos handling = 0;
};

/* How long after its last row was read out a frame was handed over: called when captureAt
 * returns. */
Nanos handlingOf(const Frame &frame)
{
    return realtimeNow() - frame.sensorTimestamp - frame.exposureUs * 1000 - frame.readout;
}

json toJson(const SensorMode &mode)
{
    return {{"min_frame_ns", mode.minFrameDuration},
            {"max_frame_ns", mode.maxFrameDuration},
            {"readout_ns", mode.readout},
            {"line_ns", mode.lineTime}};
}

SensorMode modeFromJson(const json &j)
{
    return {j.at("min_frame_ns").get<Nanos>(), j.at("max_frame_ns").get<Nanos>(),
            j.at("readout_ns").get<Nanos>(), j.at("line_ns").get<Nanos>()};
}

bool isTemporaryName(const std::string &name)
{
    return !name.empty() && name[0] == '.' && name.find(".tmp") != std::string::npos;
}

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
    void identify();
    StartDecision prepareOutput(); /* rank 0 only */
    size_t completedPositions(const ManifestContents &manifest) const;
    void writeScanJson(const std::string &planText, const std::string &rigText);
    void openDevices();
    /* Collective: every rank learns every camera's mode and derives the same frame grid. */
    void agreeOnGrid();
    void startCameras();
    LockOptions lockOptions() const;

    void moveAndSettle(size_t k);
    void waitBeforeMoving() const;
    void capture(size_t k, Nanos T);
    void submitFrame(size_t k, unsigned f, Nanos T, const CameraConfig &camera, Frame frame);
    json takeStatus(std::optional<size_t> timingsOf);
    /* One frame from every camera before the scan, for frameHandling_'s first value. */
    void warmUpCameras();
    /* Exchanges statuses; rank 0 records them. Throws on any rank's error or stop. */
    void exchange(std::optional<size_t> timingsOf);
    void record(const std::vector<json> &statuses);
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
    std::unique_ptr<WriterPool> writer_;
    std::unique_ptr<ManifestWriter> manifest_; /* rank 0 */
    std::unique_ptr<Progress> progress_;       /* rank 0 */

    std::mutex framesMutex_;
    std::map<std::string, FrameRecord> writing_; /* by absolute path */
    std::vector<FrameRecord> written_;

    std::map<size_t, NodeTimings> timings_;             /* this node's, by position, until sent */
    std::map<size_t, PositionRecord> pendingPositions_; /* rank 0: until every node's timings */
    std::string error_;
    Nanos lastExposureEnd_ = 0; /* realtime: the last row of the last exposure read out */
    Nanos frameHandling_ = 0;   /* this node's longest handlingOf() a frame so far */
    Nanos scanHandling_ = 0;    /* the longest frameHandling_ of any rank */
    std::string peakMemory_;    /* every rank's peak resident memory, as of the last exchange */
    size_t framesRecorded_ = 0;
    std::optional<std::pair<std::string, std::string>> newScanTexts_; /* rank 0: plan, rig */
};

void ScanRunner::identify()
{
    if (options_.nodeByRank)
        node_ = &nodeForRank(config_.rig, coord_->rank(), coord_->size());
    else
        node_ = &resolveNode(config_.rig, options_.node);

    /* Every rank must be a different node, and every node with work must be here. */
    const std::vector<std::string> hosts = coord_->allGather(node_->hostname);
    std::set<std::string> seen;
    for (size_t r = 0; r < hosts.size(); ++r)
        if (!seen.insert(hosts[r]).second)
            throw InputError("node " + hosts[r] + " is played by more than one process (rank " +
                             std::to_string(r) + "); run one task per node");
    for (const NodeConfig &node : config_.rig.nodes) {
        const bool hasWork =
            !scanCameras(config_.plan, node).empty() || !scanMotors(config_.plan, node).empty();
        if (hasWork && !seen.count(node.hostname))
            throw InputError("node " + node.hostname +
                             " has cameras or motors in this scan but no process runs on it; "
                             "start one task per node (srun -N" +
                             std::to_string(config_.rig.nodes.size()) + " --ntasks-per-node=1)");
    }
    hosts_ = hosts;
}

size_t ScanRunner::completedPositions(const ManifestContents &manifest) const
{
    const size_t perPosition = expectedFramesPerPosition(config_.plan, config_.rig);
    std::map<unsigned, std::set<std::string>> frames;
    for (const FrameRecord &frame : manifest.frames) {
        std::error_code ec;
        const auto size = fs::file_size(layout_->file(frame.file), ec);
        if (!ec && size == frame.bytes)
            frames[frame.position].insert(frame.file);
    }
    std::set<unsigned> positions;
    for (const PositionRecord &position : manifest.positions)
        positions.insert(position.position);
    size_t k = 0;
    while (k < config_.plan.positions.size() && positions.count(unsigned(k)) &&
           frames[unsigned(k)].size() == perPosition)
        ++k;
    return k;
}

StartDecision ScanRunner::prepareOutput()
{
    StartDecision decision;
    const ScanLayout &layout = *layout_;
    const bool exists = fs::exists(layout.manifest());
    if (exists && !options_.resume) {
        decision.inputError =
            layout.root + " already holds a scan; use --resume to continue it, or another --out";
        return decision;
    }
    if (!exists && options_.resume) {
        decision.inputError = layout.root + " has no manifest.jsonl: nothing to resume";
        return decision;
    }
    try {
        const std::string planText = readTextFile(config_.plan.path);
        const std::string rigText = readTextFile(config_.rig.path);
        std::vector<json> keep;
        if (options_.resume) {
            if (readTextFile(layout.planCopy()) != planText ||
                readTextFile(layout.rigCopy()) != rigText) {
                decision.inputError = "the plan or rig file changed since " + layout.root +
                                      " was started; resume needs the same files";
                return decision;
            }
            const ManifestContents manifest = readManifest(layout.manifest());
            decision.firstPosition = completedPositions(manifest);
            /* Keep only whole positions; the rest is captured again and overwritten. */
            for (const PositionRecord &p : manifest.positions)
                if (p.position < decision.firstPosition)
                    keep.push_back(toJson(p));
            for (const FrameRecord &f : manifest.frames)
                if (f.position < decision.firstPosition)
                    keep.push_back(toJson(f));
            framesRecorded_ = keep.size() - decision.firstPosition;
            for (const auto &entry : fs::recursive_directory_iterator(layout.root))
                if (entry.is_regular_file() && isTemporaryName(entry.path().filename()))
                    fs::remove(entry.path());
        } else {
            makeDirectories(layout.root);
            writeFileAtomic(layout.planCopy(), planText);
            writeFileAtomic(layout.rigCopy(), rigText);
            /* scan.json records the frame grid too: written once every rank has agreed on it. */
            newScanTexts_ = {planText, rigText};
        }
        manifest_ = std::make_unique<ManifestWriter>(layout.manifest(), keep);
    } catch (const std::exception &e) {
        decision.runError = e.what();
    }
    return decision;
}

void ScanRunner::writeScanJson(const std::string &planText, const std::string &rigText)
{
    json cameras = json::array();
    for (const NodeConfig &node : config_.rig.nodes)
        for (const CameraConfig *camera : scanCameras(config_.plan, node))
            cameras.push_back(node.hostname + "/" + camera->name);
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    const json scan = {
        {"scan", config_.plan.name},
        {"plan", "plan.yaml"},
        {"rig", "rig.yaml"},
        {"plan_text", planText}, /* scan.json alone tells how the scan was made */
        {"rig_text", rigText},
        {"plan_source", fs::absolute(config_.plan.path).string()},
        {"rig_source", fs::absolute(config_.rig.path).string()},
        {"positions", config_.plan.positions.size()},
        {"frames_per_position", config_.plan.framesPerPosition},
        {"cameras", cameras},
        {"ranks", hosts_},
        {"started_realtime_ns", realtimeNow()},
        {"started_on", host},
        {"capture_sync",
         config_.plan.capture.sync == CaptureSync::PhaseLocked ? "phase_locked" : "open_loop"},
        {"frame_grid", {{"origin_ns", grid_.origin}, {"period_ns", grid_.period}}},
        {"readout_ns", scanReadout_},
        {"versions",
         {{"lockstep", LOCKSTEP_VERSION},
          {"libcamera", std::to_string(LIBCAMERA_VERSION_MAJOR) + "." +
                            std::to_string(LIBCAMERA_VERSION_MINOR) + "." +
                            std::to_string(LIBCAMERA_VERSION_PATCH)},
          {"pmix", pmixVersion()},
          {"slurm", slurmVersion()},
          {"coordination",
           coord_->reusesKeys() ? "pmix, two keys reused" : "pmix, key per exchange"}}},
    };
    writeFileAtomic(layout_->scanJson(), scan.dump(2) + "\n");
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
    writer_ = std::make_unique<WriterPool>(
        options_.writerThreads, options_.writerQueue,
        [this](const WriteJob &job, const WriteResult &result) {
            std::lock_guard lock(framesMutex_);
            auto it = writing_.find(job.path);
            if (it == writing_.end())
                return;
            FrameRecord record = std::move(it->second);
            writing_.erase(it);
            if (!result.error.empty())
                return; /* the pool rethrows it from submit()/drain() */
            record.bytes = result.bytes;
            record.sha256 = result.sha256;
            record.encodeMs = double(result.encodeNs) / 1e6;
            record.writeMs = double(result.writeNs) / 1e6;
            written_.push_back(std::move(record));
        });
}

void ScanRunner::agreeOnGrid()
{
    json modes = json::array();
    for (const SensorMode &mode : modes_)
        modes.push_back(toJson(mode));
    std::vector<SensorMode> all;
    for (const std::string &text : coord_->allGather(modes.dump()))
        for (const json &mode : json::parse(text))
            all.push_back(modeFromJson(mode));
    for (const SensorMode &mode : all)
        scanReadout_ = std::max(scanReadout_, mode.readout);
    grid_ = chooseFrameGrid(all, config_.plan.capture.exposureUs * 1000);
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

/* Every node, not only the one whose camera it is: another node's rolling shutter is still
 * exposing its last rows until T + exposure + readout, and it films this node's motors. A frame
 * may start up to the lock bound late (later is an error at capture). */
void ScanRunner::waitBeforeMoving() const
{
    if (lastExposureEnd_ > 0)
        sleepUntil(CLOCK_REALTIME, lastExposureEnd_ + lockOptions().bound);
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

void ScanRunner::submitFrame(size_t k, unsigned f, Nanos T, const CameraConfig &camera, Frame frame)
{
    const ScanPlan &plan = config_.plan;
    FrameRecord record;
    record.position = unsigned(k);
    record.frame = f;
    record.node = node_->hostname;
    record.camera = camera.name;
    record.file = framePath(plan.outputPattern, unsigned(k), f, node_->hostname, camera.name,
                            plan.capture.format);
    record.captureInstant = T;
    record.sensorTimestamp = frame.sensorTimestamp;
    record.exposureUs = frame.exposureUs;
    record.gain = frame.gain;
    record.width = frame.image.width;
    record.height = frame.image.height;

    WriteJob job;
    job.path = layout_->file(record.file);
    job.format = plan.capture.format;
    job.jpegQuality = plan.capture.jpegQuality;
    job.frame = std::move(frame);
    makeDirectories(fs::path(job.path).parent_path().string());
    {
        std::lock_guard lock(framesMutex_);
        writing_[job.path] = std::move(record);
    }
    writer_->submit(std::move(job));
}

void ScanRunner::capture(size_t k, Nanos T)
{
    const ScanPlan &plan = config_.plan;
    const Nanos start = monotonicNow();
    /* Frames after the first of a position are later grid frames, far enough apart that every
     * camera has handed over the previous frame (copying or rendering 12 MP takes a Pi a while:
     * measured, with half again as headroom). The same on every rank: it comes from the
     * exchange. */
    const Nanos periods =
        std::max<Nanos>(1, (scanHandling_ * 3 / 2 + grid_.period - 1) / grid_.period);
    const Nanos gap = periods * grid_.period;
    if (const Nanos ahead = T - realtimeNow(); ahead < 0)
        std::fprintf(stderr,
                     "lockstep: %s: warning: position %zu: capture instant arrived %.1f ms late; "
                     "raise capture_margin_ms\n",
                     node_->hostname.c_str(), k, double(-ahead) / 1e6);

    std::vector<std::future<Shots>> shots;
    for (auto &camera : cameras_) {
        Camera *cam = camera.get();
        shots.push_back(std::async(std::launch::async, [this, cam, T, gap, &plan] {
            raiseCapturePriority();
            Shots taken;
            for (unsigned f = 0; f < plan.framesPerPosition; ++f) {
                taken.frames.push_back(cam->captureAt(T + Nanos(f) * gap));
                taken.handling = std::max(taken.handling, handlingOf(taken.frames.back()));
            }
            return taken;
        }));
    }
    for (size_t c = 0; c < shots.size(); ++c) {
        Shots taken = shots[c].get();
        frameHandling_ = std::max(frameHandling_, taken.handling);
        for (unsigned f = 0; f < taken.frames.size(); ++f)
            submitFrame(k, f, T + Nanos(f) * gap, *cameraConfigs_[c], std::move(taken.frames[f]));
    }
    lastExposureEnd_ =
        T + Nanos(plan.framesPerPosition - 1) * gap + plan.capture.exposureUs * 1000 + scanReadout_;
    timings_[k].captureMs = msSince(start);
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

json ScanRunner::takeStatus(std::optional<size_t> timingsOf)
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    json status = {{"node", node_->hostname},
                   {"error", error_},
                   {"stop", signals_.stopRequested().load()},
                   {"handling_ns", frameHandling_},
                   {"peak_rss_kb", usage.ru_maxrss}};
    json frames = json::array();
    {
        std::lock_guard lock(framesMutex_);
        for (const FrameRecord &record : written_)
            frames.push_back(toJson(record));
        written_.clear();
    }
    status["frames"] = std::move(frames);
    json lock = json::object();
    for (size_t c = 0; c < cameras_.size() && error_.empty(); ++c) {
        const LockStats stats = cameras_[c]->takeLockStats();
        lock[node_->hostname + "/" + cameraConfigs_[c]->name] =
            toJson(LockFigures{stats.frames, double(stats.maxAbs) / 1e3,
                               double(stats.meanAbs()) / 1e3, stats.latencyFrames.value_or(0)});
    }
    status["lock"] = std::move(lock);
    if (timingsOf) {
        const NodeTimings t = timings_[*timingsOf];
        timings_.erase(*timingsOf);
        status["timings"] = {{"position", *timingsOf},
                             {"move_ms", t.moveMs},
                             {"settle_ms", t.settleMs},
                             {"capture_ms", t.captureMs}};
    }
    return status;
}

void ScanRunner::record(const std::vector<json> &statuses)
{
    for (const json &status : statuses) {
        for (const json &frame : status.at("frames")) {
            manifest_->append(frame);
            ++framesRecorded_;
        }
        if (status.contains("timings")) {
            const json &t = status.at("timings");
            const size_t k = t.at("position").get<size_t>();
            PositionRecord &position = pendingPositions_[k];
            position.timings[status.at("node").get<std::string>()] = {
                t.at("move_ms").get<double>(), t.at("settle_ms").get<double>(),
                t.at("capture_ms").get<double>()};
            for (const auto &[camera, figures] : status.at("lock").items())
                position.lock[camera] = lockFromJson(figures);
        }
    }
    for (auto it = pendingPositions_.begin(); it != pendingPositions_.end();) {
        if (it->second.timings.size() < statuses.size()) {
            ++it;
            continue;
        }
        manifest_->append(toJson(it->second));
        it = pendingPositions_.erase(it);
    }
}

void ScanRunner::exchange(std::optional<size_t> timingsOf)
{
    const std::vector<std::string> gathered = coord_->allGather(takeStatus(timingsOf).dump());
    std::vector<json> statuses;
    std::string errors;
    bool stop = false;
    scanHandling_ = 0;
    for (const std::string &text : gathered) {
        statuses.push_back(json::parse(text));
        const json &s = statuses.back();
        scanHandling_ = std::max(scanHandling_, s.at("handling_ns").get<Nanos>());
        if (!s.at("error").get<std::string>().empty())
            errors += (errors.empty() ? "" : "; ") + s.at("error").get<std::string>();
        stop = stop || s.at("stop").get<bool>();
    }
    if (coord_->rank() == 0 && errors.empty())
        record(statuses);
    peakMemory_.clear();
    for (const json &s : statuses)
        peakMemory_ += (peakMemory_.empty() ? "" : ", ") + s.at("node").get<std::string>() + " " +
                       std::to_string(s.at("peak_rss_kb").get<long>() / 1024) + " MiB";
    if (!errors.empty())
        throw RunError(errors);
    if (stop)
        throw RunError("stopped by a signal; continue later with --resume");
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
    coord_ = underPmix() ? connectPmix() : soloCoordinator();
    config_ = loadPlanAndRig(options_.plan, options_.rig);
    layout_.emplace(options_.out, config_.plan.name);
    identify();

    /* Rank 0 prepares the output and decides where to start; every rank learns it at once. */
    StartDecision decision;
    if (coord_->rank() == 0)
        decision = prepareOutput();
    decision = startFromJson(json::parse(coord_->broadcast(toJson(decision).dump())));
    if (!decision.inputError.empty())
        throw InputError(decision.inputError);
    if (!decision.runError.empty())
        throw RunError(decision.runError);

    try {
        openDevices();
    } catch (const std::exception &e) {
        fail(e.what());
    }
    agreeOnGrid();
    if (newScanTexts_) {
        try {
            writeScanJson(newScanTexts_->first, newScanTexts_->second);
        } catch (const std::exception &e) {
            fail(e.what());
        }
    }
    if (error_.empty()) {
        try {
            startCameras();
        } catch (const std::exception &e) {
            fail(e.what());
        }
    }

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
        /* The margin covers the broadcast reaching every rank; T is the next grid frame after it.
         * Open loop must also leave time to retime the sensors. */
        const Nanos lead =
            plan.capture.sync == CaptureSync::OpenLoop ? kOpenLoopLeadFrames * grid_.period : 0;
        const Nanos T = std::stoll(coord_->broadcast(std::to_string(
            grid_.instantAtOrAfter(realtimeNow() + plan.captureMarginMs * 1'000'000 + lead))));
        if (coord_->rank() == 0)
            pendingPositions_[k] = {unsigned(k), commandedAt(plan, k), T, {}, {}};
        try {
            capture(k, T);
        } catch (const std::exception &e) {
            fail(e.what());
        }
        previous = k;
        if (progress_)
            progress_->update(k + 1);
    }

    try {
        writer_->drain();
    } catch (const std::exception &e) {
        fail(e.what());
    }
    exchange(previous);
    if (coord_->rank() == 0) {
        manifest_->append(
            {{"type", "complete"}, {"positions", total}, {"frames", framesRecorded_}});
        progress_->finish("complete, " + std::to_string(framesRecorded_) + " frames");
    }
    coord_->fence();

    if (plan.returnHome && motors_ && !plan.positions.empty())
        moveAndSettle(0);
    if (motors_)
        motors_->release();
    if (coord_->rank() == 0)
        std::printf("scan complete: %zu positions, %zu frames in %s\npeak memory per rank: %s\n",
                    total, framesRecorded_, layout_->root.c_str(), peakMemory_.c_str());
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
