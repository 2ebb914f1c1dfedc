/* Gives a job's user read/write access to device nodes (a POSIX ACL entry) and takes it back.
 *
 * Several steps of one user can need the same node (two jobs driving different motors of one
 * GPIO chip): the entry stays until the last of them ends. Each grant is recorded in the lock
 * directory as a file, access.<node>.<uid>, that every step using the entry holds a shared
 * flock on for its life; the step that can turn its lock exclusive at the end is the last one
 * and removes the entry. The record names the node, its device number, the boot it was made
 * in and the ACL mask the node had before, which is put back. A record whose flock nobody
 * holds belongs to a step that died: sweepStaleGrants() takes its entry back (every grant and
 * release does, and so do slurmd's start and the job epilog). An entry that was there before
 * is never taken away. Two users never have access to one node at the same time. access.lock
 * serialises these decisions on the node. */
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "plugin_args.h"

namespace lockstep::spank
{

class DeviceNode;

/* Where grants and revocations are reported (the plugin: slurmd's log). */
using AccessLog = std::function<void(bool error, const std::string &message)>;

class DeviceAccess
{
public:
    using Log = AccessLog;

    /* Grants are recorded in `registryDir` (an open lock directory, see LockDir). */
    DeviceAccess(Log log, int registryDir);
    /* Takes back whatever is still granted. */
    ~DeviceAccess();
    DeviceAccess(const DeviceAccess &) = delete;
    DeviceAccess &operator=(const DeviceAccess &) = delete;

    /* Adds an rw ACL entry for uid on the node unless it already has one: an entry that
     * another lockstep step of this user added is shared with it, any other entry is left
     * alone and not removed later. Only a character device of one of `subsystems` (by its
     * sysfs entry) is opened up: a symlink or any other file is refused, and the ACL is
     * changed through the node that was checked. While a step of another user has access to
     * the node this refuses (Conflict::Refuse) or waits up to `waitLimit`. Throws RunError;
     * what this call changed before failing is undone. */
    void grant(const std::string &path, std::initializer_list<std::string_view> subsystems,
               uid_t uid, Conflict conflict = Conflict::Refuse,
               std::chrono::milliseconds waitLimit = std::chrono::milliseconds(0));
    /* Lets go of every grant; removes the entries no other step still uses and puts the
     * node's mask back. Logs and carries on on failure. */
    void revokeAll() noexcept;

private:
    /* With access.lock held. */
    void addLocked(std::unique_ptr<DeviceNode> node, uid_t uid);
    void report(bool error, const std::string &message) noexcept;

    struct Grant {
        std::unique_ptr<DeviceNode> node;
        uid_t uid;
        int record; /* access.<node>.<uid>, flock(LOCK_SH) held */
    };
    Log log_;
    int dir_ = -1; /* our own duplicate of the registry directory */
    std::vector<Grant> granted_;
};

/* Takes back every entry whose step is gone (its record's flock is free): the entry is removed
 * and the mask put back if the node is still the device of the record and this is the boot it
 * was made in (after a reboot /dev is new and the record is only cleared). Reports each. */
void sweepStaleGrants(int registryDir, const AccessLog &log);

/* The kernel's boot id (/proc/sys/kernel/random/boot_id). */
std::string bootId();

/* The device nodes a real camera needs (libcamera opens the media controller and the video
 * nodes of the whole pipeline, so it is all of them). */
std::vector<std::string> cameraDeviceNodes();

} // namespace lockstep::spank
