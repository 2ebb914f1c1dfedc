#include "unsafe_mark.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "root_file.h"
#include "util/errors.h"

namespace lockstep::spank
{

std::string unsafeMarkName(const std::string &node, const std::string &device)
{
    return node + "." + device + ".unsafe";
}

std::optional<std::string> unsafeReason(int lockDir, const std::string &node,
                                        const std::string &device)
{
    const std::string name = unsafeMarkName(node, device);
    const int fd = openat(lockDir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return std::nullopt;
        return "the mark " + name + " cannot be read: " + std::strerror(errno);
    }
    char buf[512] = {};
    const ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    close(fd);
    std::string reason = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    while (!reason.empty() && reason.back() == '\n')
        reason.pop_back();
    return reason.empty() ? "no reason recorded" : reason;
}

void markUnsafe(int lockDir, const std::string &node, const std::string &device,
                const std::string &reason)
{
    const std::string name = unsafeMarkName(node, device);
    const int fd = openRootFile(lockDir, name, 0600, "unsafe mark " + name);
    struct stat st = {};
    const bool first = fstat(fd, &st) == 0 && st.st_size == 0;
    const std::string text = reason + "\n";
    const bool ok = !first || pwrite(fd, text.data(), text.size(), 0) == ssize_t(text.size());
    const int err = errno;
    close(fd);
    if (!ok)
        throw RunError("cannot write the unsafe mark " + name + ": " + std::strerror(err));
}

} // namespace lockstep::spank
