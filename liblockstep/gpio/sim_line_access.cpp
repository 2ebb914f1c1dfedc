/* readSimLine() and writeSimLine(): one line of a node's simulated GPIO state, read or driven
 * from outside the process that holds it. The SPANK plugin calls writeSimLine() as root inside
 * slurmstepd, in a directory that jobs write to, so this path trusts nothing it finds there:
 * it follows no symlink below the rig's sim_dir, opens nothing but a regular file with one link
 * and a valid header, never blocks (a FIFO or a lock held by a job would hang slurmstepd), and
 * never maps the file (a job could truncate it under the mapping and raise SIGBUS in root's
 * process). */
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gpio/shared_lines.h"
#include "gpio/sim_gpio.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

constexpr uint32_t kMagic = 0x4c53474c; /* see shared_lines.h */
constexpr uint32_t kVersion = 1;

/* Closes a descriptor when it goes out of scope. */
class Fd
{
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd()
    {
        if (fd_ >= 0)
            close(fd_);
    }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;

    int get() const { return fd_; }
    int release()
    {
        const int fd = fd_;
        fd_ = -1;
        return fd;
    }

private:
    int fd_;
};

std::string errorText(const std::string &what, const std::string &path, int error)
{
    return what + " " + path + ": " + std::strerror(error);
}

/* Opens <simDir>/gpio/<node>.lines without following a symlink in "gpio" or the file name and
 * checks that it is a state file. Returns the descriptor, or -1 with `error` set. */
int openStateFile(const std::string &simDir, const std::string &node, int access,
                  std::string &error)
{
    const std::string path = simLinesPath(simDir, node);
    if (node.empty() || node.find('/') != std::string::npos || node == "." || node == "..") {
        error = "'" + node + "' is not a node name";
        return -1;
    }
    const Fd dir(open(simDir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0) {
        error = errorText("cannot open", simDir, errno);
        return -1;
    }
    const Fd gpioDir(openat(dir.get(), "gpio", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (gpioDir.get() < 0) {
        error = errno == ENOTDIR || errno == ELOOP
                    ? simDir + "/gpio is not a directory (a symlink is not followed)"
                    : errorText("cannot open", simDir + "/gpio", errno);
        return -1;
    }
    const std::string name = node + ".lines";
    const int fd =
        openat(gpioDir.get(), name.c_str(), access | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        error = errno == ELOOP ? path + " is a symlink (not followed)"
                               : errorText("cannot open", path, errno);
        return -1;
    }
    Fd file(fd);
    struct stat st = {};
    uint32_t header[3] = {};
    if (fstat(fd, &st) != 0) {
        error = errorText("cannot stat", path, errno);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_nlink != 1 ||
        st.st_size != static_cast<off_t>(sizeof(SimLinesState))) {
        error = path + " is not a lockstep simulated GPIO state file (not a regular file of " +
                std::to_string(sizeof(SimLinesState)) + " bytes with one link)";
        return -1;
    }
    if (pread(fd, header, sizeof(header), 0) != static_cast<ssize_t>(sizeof(header)) ||
        header[0] != kMagic || header[1] != kVersion || header[2] != kSimLineCount) {
        error = path + " is not a lockstep simulated GPIO state file (header)";
        return -1;
    }
    return file.release();
}

} // namespace

int readSimLine(const std::string &simDir, const std::string &node, unsigned offset)
{
    if (offset >= kSimLineCount)
        return -1;
    std::string error;
    const Fd fd(openStateFile(simDir, node, O_RDONLY, error));
    if (fd.get() < 0)
        return -1;
    uint8_t level = 0;
    if (pread(fd.get(), &level, 1, offsetof(SimLinesState, level) + offset) != 1)
        return -1;
    return level ? 1 : 0;
}

void writeSimLine(const std::string &simDir, const std::string &node, unsigned offset,
                  uint8_t level)
{
    if (offset >= kSimLineCount)
        throw RunError("GPIO line " + std::to_string(offset) +
                       " does not exist on the simulated chip");
    std::string error;
    const Fd fd(openStateFile(simDir, node, O_RDWR, error));
    if (fd.get() < 0)
        throw RunError(error);
    /* One byte: a single store, seen atomically by processes that map the file. */
    const uint8_t value = level ? 1 : 0;
    if (pwrite(fd.get(), &value, 1, offsetof(SimLinesState, level) + offset) != 1)
        throw RunError(errorText("cannot write", simLinesPath(simDir, node), errno));
}

} // namespace lockstep
