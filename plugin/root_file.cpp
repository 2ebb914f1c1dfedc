#include "root_file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/errors.h"

namespace lockstep::spank
{

int openRootFile(int dir, const std::string &name, mode_t mode, const std::string &what)
{
    const int fd = openat(dir, name.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        throw RunError(what + ": " + std::strerror(errno));
    struct stat st = {};
    if (fstat(fd, &st) != 0) {
        const int err = errno;
        close(fd);
        throw RunError(what + ": " + std::strerror(err));
    }
    if (!S_ISREG(st.st_mode) || st.st_uid != 0 || st.st_nlink != 1) {
        close(fd);
        throw RunError(what + " is not a plain root-owned file: refusing to use it");
    }
    return fd;
}

} // namespace lockstep::spank
