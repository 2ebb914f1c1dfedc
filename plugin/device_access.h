/* Gives a job's user read/write access to device nodes (a POSIX ACL entry) and takes it back. */
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

    explicit DeviceAccess(Log log) : log_(std::move(log)) {}
    /* Takes back whatever is still granted. */
    ~DeviceAccess();
    DeviceAccess(const DeviceAccess &) = delete;
    DeviceAccess &operator=(const DeviceAccess &) = delete;

    /* Adds an rw ACL entry for uid on the node unless it already has one (then it is left
     * alone, and not removed later). Only a character device node is opened up: a symlink or
     * any other file is refused. Throws RunError. */
    void grant(const std::string &path, uid_t uid);
    /* Removes every entry this object added; logs and carries on on failure. */
    void revokeAll() noexcept;

private:
    void report(bool error, const std::string &message) noexcept;

    struct Grant {
        std::string path;
        uid_t uid;
    };
    Log log_;
    std::vector<Grant> granted_;
};

/* The device nodes a real camera needs (libcamera opens the media controller and the video
 * nodes of the whole pipeline, so it is all of them). */
std::vector<std::string> cameraDeviceNodes();

} // namespace lockstep::spank
