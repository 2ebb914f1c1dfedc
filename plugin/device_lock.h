/* Exclusive per-device locks: flock() on files in a root-owned lock directory, held for the
 * life of the job step, each file naming its holder so that a refused job learns who has it. */
#pragma once

#include <chrono>
#include <string>

#include "plugin_args.h"

namespace lockstep::spank
{

/* A lock directory opened safely: it must be a real directory (not a symlink), owned by root,
 * writable by nobody else. Created (0755) if missing. Throws RunError saying what is wrong. */
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

/* Who holds a lock, written into the lock file by the holder. */
struct LockHolder {
    unsigned jobId = 0;
    unsigned stepId = 0;
    std::string user;

    std::string str() const;
};

class DeviceLock
{
public:
    /* Locks <dir>/<node>.<device>.lock. With Conflict::Refuse a held lock throws RunError
     * naming the holder; with Conflict::Wait it waits until the holder lets go, at most
     * `waitLimit`, and then throws RunError naming the holder. */
    DeviceLock(const LockDir &dir, const std::string &node, const std::string &device,
               const LockHolder &self, Conflict conflict,
               std::chrono::milliseconds waitLimit = std::chrono::milliseconds(0));
    ~DeviceLock();
    DeviceLock(const DeviceLock &) = delete;
    DeviceLock &operator=(const DeviceLock &) = delete;

private:
    int fd_ = -1;
};

} // namespace lockstep::spank
