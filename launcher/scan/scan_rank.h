/* One rank of a scan, as a sequence of phases; its parts are in scan_runner.cpp (the sequence),
 * scan_rank_setup.cpp (Start, Grid, Plan) and scan_rank_positions.cpp (Positions, Finish).
 * Internal to the scan: runScan() (scan_runner.h) is the interface. */
#pragma once

#include <atomic>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "camera/camera.h"
#include "commands/config_files.h"
#include "coord/coordinator.h"
#include "motion/motor_group.h"
#include "scan/camera_shots.h"
#include "scan/frame_sink.h"
#include "scan/manifest_recorder.h"
#include "scan/progress.h"
#include "scan/rank_messages.h"
#include "scan/scan_layout.h"
#include "scan/scan_output.h"
#include "scan/scan_runner.h"
#include "scan/scan_schedule.h"

namespace lockstep
{

class SignalGuard;

/* Milliseconds from an instant until now. */
double msSince(MonotonicInstant start);

/* How long a fence may take after its last rank entered, before the next motion starts and
 * the next capture is armed: well above the collecting fence's p99 on the four-node test
 * cluster (1-2 ms), and what mpirun needed with 4-32 ranks on two loaded cores (a 3 ms
 * allowance missed arms there). A position's fence usually has the exposure, readout and
 * settle time to itself, so it costs nothing unless a rank is late. */
constexpr Nanoseconds kFenceAllowance = Milliseconds(10);
/* How long after a signal a rank that has not ended at a fence gives up on it (releases its
 * motors and exits 128 + signal; the launcher then stops the others): longer than a position
 * takes, since a rank signalled alone waits there for the others. When the launcher kills
 * sooner (mpirun: SIGKILL a second after SIGTERM), the motors are released already. */
constexpr Nanoseconds kSignalGrace = std::chrono::seconds(5);
/* Position exchanges timed while planning (scan/exchange_trials.h), for
 * TimelineRules::coordination. */
constexpr int kTrialExchanges = 7;

/* One rank of a scan. Its phases, in order (every rank runs each collective alike):
 *
 *   Start      identify the node; rank 0 prepares the output and decides where to start
 *              (broadcast); open and configure this node's devices
 *   Grid       gather every camera's mode, derive the frame grid; rank 0 writes scan.json;
 *              start the cameras locked to the grid
 *   Plan       each node plans its moves (the planner's durations are exact and the same on
 *              every machine); one all-gather of those durations and of when each rank got
 *              there; every rank then computes the same timeline: per position when the
 *              motors may start, the capture instant T, when its last row is read out
 *              (scan_schedule.h); the first position's capture thread is armed
 *   Positions  for each position k, on the timeline, nothing negotiated:
 *                Wait     until k's motion start: the last row of k-1 read out (+ lock bound)
 *                Move     motor nodes move; a node that cannot be still by T(k) - settle
 *                         stops the scan instead of capturing late
 *                Arm      k+1: its capture thread will wait for the grid frame at T(k+1) on
 *                         every camera once k's frames are in
 *                Collect  the frames of k-1 (complete by now) go to the writers
 *                Fence    health to every rank, manifest lines to rank 0 only, one collecting
 *                         fence, while k's frame is exposed: off the critical path. A rank that
 *                         entered too late for k+1's motion start delays the positions after
 *                         k+1 by whole grid periods, alike on every rank
 *   Finish     collect the last frames, drain the writers, a last fence, rank 0 completes the
 *              manifest, a fence; return home if asked; release the motors
 *
 * A rank's error goes into its health (fail()) and every rank stops at the next fence with its
 * motors released. A signal stops motion at once (the executor polls the stop flag), cuts every
 * wait short (Wait, and a capture thread's wait for its instant) and goes into the health too:
 * at that fence every rank ends alike (ScanEnded), and rank 0 alone says where to --resume. */
class ScanRank
{
public:
    ScanRank(const ScanOptions &options, SignalGuard &signals);
    /* The watcher must not call into motors_ once it is gone; a capture in flight ends first. */
    ~ScanRank();
    ScanRank(const ScanRank &) = delete;
    ScanRank &operator=(const ScanRank &) = delete;

    /* Start -> Grid -> Plan -> Positions -> Finish (scan_runner.cpp). Sets `rank` as soon as
     * it is known (runScan's rank 0 alone reports a ScanEnded). */
    int run(std::optional<int> &rank);
    /* Rank 0's one message about how the scan ended ("lockstep: " + text), said once whichever
     * of the fence, the signal notice or the emergency comes first. */
    void say(const std::string &text);

private:
    /* What a position's capture thread took. */
    struct Captured {
        std::vector<Shots> shots;
        /* "node/camera": the lock over this position, read on the capture thread (a camera
         * is used by one thread at a time) */
        std::map<std::string, LockFigures> lock;
        double ms = 0;
        std::string error;
    };

    /* Start, Grid and Plan: scan_rank_setup.cpp */
    void identify();
    StartDecision decideStart();
    void openDevices();
    /* Grid */
    void agreeOnGrid();
    void startCameras();
    /* One frame from every camera before the scan, for frameHandling_'s first value. */
    void warmUpCameras();
    LockOptions lockOptions() const;
    /* Plan */
    void planTimeline(size_t first);
    /* Positions and Finish: scan_rank_positions.cpp */
    void runPosition(size_t k);
    void armPosition(size_t k);
    void arm(size_t k, RealtimeInstant T);
    void move(size_t k, RealtimeInstant T);
    /* Collects the armed captures of positions before `before`. */
    void collect(size_t before);
    void collectOldest();
    void fence(std::optional<size_t> timingsOf, size_t next);
    RankReport takeReport(std::optional<size_t> timingsOf);
    /* Finish */
    void finish(size_t total, std::optional<size_t> last);

    void fail(const std::string &what) noexcept;
    std::string stopMessage(size_t position, const std::string &stoppedBy);

    const ScanOptions &options_;
    SignalGuard &signals_;
    /* Rank 0: the folder is this scan's until it ends; the first member, so that it is
     * released last, after everything that writes there. */
    std::unique_ptr<OutputLock> outputLock_;
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
    Nanoseconds scanReadout_{0}; /* the longest readout of any camera on any rank */
    std::unique_ptr<FrameSink> sink_;

    /* The timeline, the same on every rank: positions from first_ on. */
    size_t first_ = 0;
    TimelineRules rules_;
    std::vector<PlannedPosition> timeline_;
    std::vector<Nanoseconds> myMoves_; /* this node's planned moves, from first_ on */
    Nanoseconds delayed_{0};           /* how much late fences have delayed the timeline */

    /* Captures armed and not yet collected, oldest first: each waits for the one before.
     * Shared: the next capture waits on it; a pointer: collect() moves the frames out. */
    struct ArmedCapture {
        size_t position = 0;
        RealtimeInstant T;
        std::shared_future<std::shared_ptr<Captured>> taken;
    };
    std::deque<ArmedCapture> armed_;

    /* Rank 0 */
    std::unique_ptr<ManifestRecorder> recorder_;
    std::unique_ptr<Progress> progress_;
    std::optional<std::pair<std::string, std::string>> newScanTexts_; /* plan, rig */

    std::map<size_t, NodeTimings> timings_;   /* this node's, by position, until sent */
    std::map<std::string, LockFigures> lock_; /* of the positions collected, until sent */
    std::string error_;
    std::atomic<size_t> current_{0}; /* the position being worked on, 1-based (for a stop) */
    std::atomic<bool> said_{false};
    Nanoseconds frameHandling_{0}; /* this node's longest handlingOf() a frame so far */
    Nanoseconds scanHandling_{0};  /* the longest frameHandling_ of any rank, when planned */
    std::string peakMemory_;       /* every rank's peak resident memory, as of the last fence */
};

} // namespace lockstep
