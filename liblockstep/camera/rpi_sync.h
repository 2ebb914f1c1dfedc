/* Raspberry Pi's software camera sync, as the libcamera backend uses it. Pure decisions here (no
 * libcamera): which role a camera takes, the job's multicast group, the per-job tuning files and
 * what a streaming camera does frame by frame until the sync is ready or has failed.
 *
 * Raspberry Pi's libcamera (its fork from 0.4.0+rpt20250127; upstream defines the controls from
 * 0.5.2 but has no algorithm behind them) holds the cameras of several Pis together itself: with
 * controls::rpi::SyncMode one camera is the server and multicasts, every sync_period frames, its
 * average frame duration, a frame's wall-clock time and a "ready" time; clients lengthen or
 * shorten single frames to match, and every camera reports SyncReady from the frame at the ready
 * time on. The group and port come from the IPA's tuning file (rpi.sync: group, port), read once
 * when libcamera's camera manager starts, so a job gets its own group through its own copy of the
 * tuning files (LIBCAMERA_IPA_CONFIG_PATH).
 *
 * How lockstep uses it: the server is rank 0's first camera and is still steered onto the scan's
 * grid by lockstep's loop (GridLock); only once it is locked does it start serving, so every
 * packet describes on-grid frames and the grid's origin stays the Unix epoch. Clients stream at
 * the grid period and leave the phase to the sync; lockstep's loop only measures their lock error.
 * A camera whose sync does not report SyncReady in time (no rpi.sync in its tuning, no server,
 * multicast blocked) falls back to lockstep's loop, which aims at the same grid. */
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/plan.h"

namespace lockstep
{

enum class RpiSyncRole { Off, Server, Client };

const char *rpiSyncRoleName(RpiSyncRole role);

/* The values of controls::rpi::SyncMode (Raspberry Pi's control_ids_rpi.yaml). */
constexpr int32_t kRpiSyncModeOff = 0;
constexpr int32_t kRpiSyncModeServer = 1;
constexpr int32_t kRpiSyncModeClient = 2;

/* Where this process stands in its job: Slurm's SLURM_JOB_ID and SLURM_PROCID, or PMIx's
 * PMIX_RANK (mpirun) for the rank. Unset when absent or not a number. */
struct JobPlace {
    std::optional<uint64_t> jobId;
    std::optional<unsigned> rank;
};
JobPlace jobPlaceFromEnvironment();

struct RpiSyncEndpoint {
    std::string group; /* IPv4 multicast address */
    uint16_t port = 0;
};

/* The job's group and port: 239.255.A.B (IPv4 local scope, RFC 2365; never 239.255.255.250,
 * which SSDP uses) and a port in 20000-32767, below Linux's ephemeral range, both from the job
 * id. Jobs whose ids differ by less than 12768 never share a port, by less than 64516 never a
 * group. */
RpiSyncEndpoint rpiSyncEndpoint(uint64_t jobId);

struct RpiSyncInputs {
    bool compiledIn = false;    /* this libcamera's headers define controls::rpi::SyncMode */
    bool offered = false;       /* the camera lists it in its controls */
    bool groupPrepared = false; /* the job's tuning files are in place (prepareRpiSyncTuning) */
    CaptureSync scheme = CaptureSync::PhaseLocked;
    std::optional<unsigned> rank;
    bool serverTaken = false; /* another camera of this process already serves */
};

struct RpiSyncChoice {
    RpiSyncRole role = RpiSyncRole::Off;
    std::string why; /* for the log: why this role */
};

/* Server: rank 0's first camera that offers the sync; client: every other camera that offers it;
 * off when it is not compiled in or offered, when the job has no group of its own, or for the
 * open-loop scheme (kept only to be measured against). */
RpiSyncChoice chooseRpiSyncRole(const RpiSyncInputs &inputs);

/* A tuning file (JSON, which libcamera reads with its YAML parser) with rpi.sync's group and port
 * set: YAML text, or nullopt when it has no rpi.sync (the sync algorithm is not loaded from it).
 * Throws std::runtime_error when it cannot be parsed. */
std::optional<std::string> withSyncEndpoint(const std::string &tuning,
                                            const RpiSyncEndpoint &endpoint);

/* Copies every Raspberry Pi tuning file of one of `sensors` (a file whose name starts with one:
 * imx708_wide_noir.json is imx708's) that has an rpi.sync section, found under the IPA
 * configuration directories `sources` (<source>/rpi/<platform>/<sensor>.json; the first source
 * holding a file wins, as in libcamera's own search) into `dir`, with the job's endpoint. Returns
 * how many files it wrote. Follows no symbolic link under `dir`; throws std::runtime_error on a
 * file it cannot read, parse or write. */
unsigned prepareRpiSyncTuning(const std::vector<std::filesystem::path> &sources,
                              const std::filesystem::path &dir, const RpiSyncEndpoint &endpoint,
                              const std::vector<std::string> &sensors);

/* The sensors this machine has, by driver name ("imx477"), from the kernel's V4L2 sub-devices
 * and I2C devices under `sysfs`: only their tuning files are copied (each copy parses a file of
 * 50-100 KB; all of them, about 70, take seconds). */
std::vector<std::string> sensorNames(const std::filesystem::path &sysfs = "/sys");

/* One camera's progress from start() to a usable stream, frame by frame. */
class RpiSyncSession
{
public:
    struct Options {
        RpiSyncRole role = RpiSyncRole::Off;
        /* Server: frames from serving to the ready frame (controls::rpi::SyncFrames). */
        unsigned readyFrames = 100;
        /* Frames after which a sync that has not reported ready is given up: counted from
         * serving (server) or from the first frame (client). */
        unsigned giveUpFrames = 400;
    };

    enum class Action {
        None,
        /* The client's sync did not answer: lockstep's loop must now steer this camera. */
        StartSteering,
    };

    explicit RpiSyncSession(const Options &options);

    /* The SyncMode the next request must carry, once (then nullopt): client from the first
     * request, server once the grid lock holds, off after giving up. */
    std::optional<int32_t> takeModeControl();
    /* One completed frame: SyncReady from its metadata (nullopt when absent), whether lockstep's
     * loop is locked, and whether this frame is within the lock bound of its grid instant. */
    Action onFrame(std::optional<bool> syncReady, bool gridLocked, bool withinBound);

    /* start() may return: the grid is held (by the sync, or by lockstep's loop). */
    bool ready() const { return ready_; }
    /* The sync holds this camera (client, not given up): lockstep's loop only measures. */
    bool syncHolds() const;
    bool gaveUp() const { return gaveUp_; }
    RpiSyncRole role() const { return options_.role; }

private:
    Options options_;
    std::optional<int32_t> pendingMode_;
    bool serving_ = false;
    unsigned framesWaiting_ = 0;
    bool gaveUp_ = false;
    bool ready_ = false;
};

} // namespace lockstep
