/* A device node the plugin is about to open up to a user, held by an O_PATH descriptor taken
 * without following a symlink, so that every later step (checks, ACL changes) applies to the
 * node that was checked and not to whatever the path names by then. */
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace lockstep::spank
{

/* The kernel subsystem of a character device ("gpio", "video4linux", "media", "mem"), from
 * <sysfs>/dev/char/MAJOR:MINOR/subsystem; empty if the kernel lists no such device. */
std::string charDeviceSubsystem(dev_t rdev, const std::string &sysfs = "/sys");

class DeviceNode
{
public:
    /* Opens `path` (O_PATH | O_NOFOLLOW) and checks that it is a character device whose
     * subsystem is one of `subsystems`. Throws RunError naming the path and what it is. */
    DeviceNode(const std::string &path, std::initializer_list<std::string_view> subsystems);
    /* Any character device (taking access back needs no subsystem check). */
    explicit DeviceNode(const std::string &path);
    ~DeviceNode();
    DeviceNode(const DeviceNode &) = delete;
    DeviceNode &operator=(const DeviceNode &) = delete;

    const std::string &path() const { return path_; }
    dev_t rdev() const { return rdev_; }
    /* /proc/self/fd/N: reaches the opened node itself (libacl has no O_PATH calls). */
    std::string procPath() const;

private:
    void open();

    std::string path_;
    int fd_ = -1;
    dev_t rdev_ = 0;
};

/* "MAJOR:MINOR" */
std::string deviceNumberText(dev_t rdev);

} // namespace lockstep::spank
