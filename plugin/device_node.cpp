#include "device_node.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util/errors.h"

namespace lockstep::spank
{

std::string deviceNumberText(dev_t rdev)
{
    return std::to_string(major(rdev)) + ":" + std::to_string(minor(rdev));
}

std::string charDeviceSubsystem(dev_t rdev, const std::string &sysfs)
{
    const std::string link = sysfs + "/dev/char/" + deviceNumberText(rdev) + "/subsystem";
    std::array<char, 512> target = {};
    const ssize_t n = readlink(link.c_str(), target.data(), target.size() - 1);
    if (n <= 0)
        return "";
    const std::string text(target.data(), static_cast<size_t>(n));
    return text.substr(text.rfind('/') + 1);
}

void DeviceNode::open()
{
    fd_ = ::open(path_.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd_ < 0)
        throw RunError("cannot give access to " + path_ + ": " + std::strerror(errno));
    struct stat st = {};
    if (fstat(fd_, &st) != 0 || !S_ISCHR(st.st_mode)) {
        close(fd_);
        throw RunError("cannot give access to " + path_ +
                       ": not a character device node (a symlink or a file is never opened up "
                       "to a job)");
    }
    rdev_ = st.st_rdev;
}

DeviceNode::DeviceNode(const std::string &path) : path_(path)
{
    open();
}

DeviceNode::DeviceNode(const std::string &path, std::initializer_list<std::string_view> subsystems)
    : path_(path)
{
    open();
    const std::string subsystem = charDeviceSubsystem(rdev_);
    if (std::find(subsystems.begin(), subsystems.end(), subsystem) == subsystems.end()) {
        std::string wanted;
        for (std::string_view s : subsystems)
            wanted += (wanted.empty() ? "" : " or ") + std::string(s);
        close(fd_);
        throw RunError("cannot give access to " + path + ": device " + deviceNumberText(rdev_) +
                       " is " + (subsystem.empty() ? "unknown to the kernel" : "a " + subsystem) +
                       " device, not " + wanted + " (see /sys/dev/char)");
    }
}

DeviceNode::~DeviceNode()
{
    close(fd_);
}

std::string DeviceNode::procPath() const
{
    return "/proc/self/fd/" + std::to_string(fd_);
}

} // namespace lockstep::spank
