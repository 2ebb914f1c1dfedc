/* Exclusive per-device locks: flock() on files in a root-owned lock directory, held for the
 * life of the job step, each file naming its holder so that a refused job learns who has it. */
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "plugin_args.h"
#include "util/errors.h"

namespace lockstep::spank
{

/* A lock directory opened safely: it must be a real directory (not a symlink), owned by root,
 * writable by nobody else, in directories only root can change. Created 0700 if missing, made
 * 0700 if it was more open (no user may open a lock file: flock needs no write access, so
 * a readable lock file could be held by anyone). Throws RunError saying what is wrong. */
class LockDir
{
public:
    explicit LockDir(const std::string &path);
    ~LockDir();
    LockDir(const LockDir &) = delete;
    LockDir &operator=(const LockDir &) = delete;

    const std::string &path() const { return path_; }
    int fd() const { return fd_; }

private:
    std::string path_;
    int fd_ = -1;
};

/* Who holds a lock, written into the lock file by the holder, and whether it let go of the
 * device cleanly (motors safe, access taken back) or died holding it. */
struct LockHolder {
    unsigned jobId = 0;
    unsigned stepId = 0;
    std::string user;
    bool released = false;

    std::string str() const;
};

/* A device held by another step (Conflict::Refuse, or the wait ran out). */
class DeviceInUse : public RunError
{
public:
    using RunError::RunError;
};

/* Told once, when a step starts waiting for a device, who holds it ("job 7 (user alice)", or
 * "step 0 of the same job"). */
using WaitNotice = std::function<void(const std::string &holder)>;

class DeviceLock
{
public:
    /* Locks <dir>/<node>.<device>.lock. With Conflict::Refuse a held lock throws DeviceInUse
     * naming the holder; with Conflict::Wait it calls `onWait` once and waits until the holder
     * lets go, at most `waitLimit`, and then throws DeviceInUse naming the holder. Another step
     * of the same job is a holder like any other (steps of one job that run at the same time
     * must ask for different devices). */
    DeviceLock(const LockDir &dir, const std::string &node, const std::string &device,
               const LockHolder &self, Conflict conflict,
               std::chrono::milliseconds waitLimit = std::chrono::milliseconds(0),
               const WaitNotice &onWait = {});
    ~DeviceLock();
    DeviceLock(const DeviceLock &) = delete;
    DeviceLock &operator=(const DeviceLock &) = delete;

    /* The step that held the device before ended without releasing it cleanly (its slurmstepd
     * was killed, or making its motors safe failed): the device must be checked before use. */
    bool previousHolderDied() const;
    const LockHolder &previousHolder() const { return previous_; }
    /* Records that this step let go of the device cleanly (before the lock is released). */
    void markReleased() noexcept;

private:
    int fd_ = -1;
    LockHolder previous_;
    LockHolder self_;
};

} // namespace lockstep::spank
