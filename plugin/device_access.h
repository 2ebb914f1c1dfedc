/* Gives a job's user read/write access to device nodes (a POSIX ACL entry) and takes it back.
 *
 * Several steps of one user can need the same node (two jobs driving different motors of one
 * GPIO chip): the entry stays until the last of them ends. Each grant is recorded in the lock
 * directory as a file, access.<node>.<uid>, that every step using the entry holds a shared
 * flock on for its life; the step that can turn its lock exclusive at the end is the last one
 * and removes the entry. The kernel drops the flock of a step that dies, so a crash leaves no
 * phantom user behind. The file also says whether lockstep added the entry: one that was
 * there before is never taken away. access.lock serialises these decisions on the node. */
#pragma once

#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace lockstep::spank
{

class DeviceAccess
{
public:
    /* Where revocations are reported (the plugin: slurmd's log). */
    using Log = std::function<void(bool error, const std::string &message)>;

    /* Grants are recorded in `registryDir` (an open lock directory, see LockDir). */
    DeviceAccess(Log log, int registryDir);
    /* Takes back whatever is still granted. */
    ~DeviceAccess();
    DeviceAccess(const DeviceAccess &) = delete;
    DeviceAccess &operator=(const DeviceAccess &) = delete;

    /* Adds an rw ACL entry for uid on the node unless it already has one: an entry that
     * another lockstep step added is shared with it, any other entry is left alone and not
     * removed later. Only a character device node is opened up: a symlink or any other file
     * is refused. Throws RunError. */
    void grant(const std::string &path, uid_t uid);
    /* Lets go of every grant; removes the entries no other step still uses. Logs and carries
     * on on failure. */
    void revokeAll() noexcept;

private:
    void report(bool error, const std::string &message) noexcept;

    struct Grant {
        std::string path;
        uid_t uid;
        int record; /* access.<node>.<uid>, flock(LOCK_SH) held */
    };
    Log log_;
    int dir_ = -1; /* our own duplicate of the registry directory */
    std::vector<Grant> granted_;
};

/* The device nodes a real camera needs (libcamera opens the media controller and the video
 * nodes of the whole pipeline, so it is all of them). */
std::vector<std::string> cameraDeviceNodes();

} // namespace lockstep::spank
