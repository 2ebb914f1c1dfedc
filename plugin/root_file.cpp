#include "root_file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

#include "util/errors.h"

namespace lockstep::spank
{

namespace fs = std::filesystem;

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
    /* A lock file others can open is a lock others can hold (flock needs no write access). */
    if ((st.st_mode & 07777) != mode && fchmod(fd, mode) != 0) {
        const int err = errno;
        close(fd);
        throw RunError(what + ": cannot restrict its permissions: " + std::strerror(err));
    }
    return fd;
}

void checkRootAncestors(const std::string &path, const std::string &what)
{
    std::error_code ec;
    const fs::path parent = fs::canonical(fs::path(path).parent_path(), ec);
    if (ec)
        throw RunError(what + " " + path + ": parent: " + ec.message());
    for (fs::path dir = parent;; dir = dir.parent_path()) {
        struct stat st = {};
        if (stat(dir.c_str(), &st) != 0)
            throw RunError(what + " " + path + ": " + dir.string() + ": " + std::strerror(errno));
        const bool othersWrite = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
        if (st.st_uid != 0 || (othersWrite && !(st.st_mode & S_ISVTX)))
            throw RunError(what + " " + path + ": " + dir.string() +
                           " above it must be owned by root and writable only by root (or "
                           "sticky, like /tmp)");
        if (dir == dir.root_path())
            break;
    }
}

void checkRootConfigFile(const std::string &path, const std::string &what)
{
    const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        throw RunError(what + " " + path + ": " + std::strerror(errno) +
                       (errno == ELOOP ? " (a symlink is not followed)" : ""));
    struct stat st = {};
    const int statResult = fstat(fd, &st);
    const int err = errno;
    close(fd);
    if (statResult != 0)
        throw RunError(what + " " + path + ": " + std::strerror(err));
    if (!S_ISREG(st.st_mode))
        throw RunError(what + " " + path + " is not a regular file");
    if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
        throw RunError(what + " " + path +
                       " must be owned by root and writable only by root: refusing to trust it");
    checkRootAncestors(path, what);
}

} // namespace lockstep::spank
