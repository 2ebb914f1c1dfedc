#include "device_lock.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "root_file.h"
#include "util/errors.h"

namespace lockstep::spank
{

namespace fs = std::filesystem;

namespace
{

constexpr std::chrono::milliseconds kWaitPoll(100);

std::string errnoText(int err)
{
    return std::strerror(err);
}

/* "600 s", or "250 ms" below a second. */
std::string durationText(std::chrono::milliseconds duration)
{
    if (duration.count() % 1000 == 0)
        return std::to_string(duration.count() / 1000) + " s";
    return std::to_string(duration.count()) + " ms";
}

LockHolder readHolder(int fd)
{
    char buf[256] = {};
    const ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    LockHolder holder;
    if (n <= 0)
        return holder;
    char user[128] = {};
    if (std::sscanf(buf, "job=%u step=%u user=%127s", &holder.jobId, &holder.stepId, user) == 3)
        holder.user = user;
    return holder;
}

void writeHolder(int fd, const LockHolder &self)
{
    const std::string text = "job=" + std::to_string(self.jobId) +
                             " step=" + std::to_string(self.stepId) + " user=" + self.user + "\n";
    /* Best effort: the holder text only improves another job's error message. */
    if (ftruncate(fd, 0) == 0 && pwrite(fd, text.data(), text.size(), 0) < 0)
        return;
}

/* Every directory above the lock directory, symlinks resolved, must be root's and writable by
 * nobody else unless sticky (like /tmp): otherwise a user could rename the lock directory away
 * and put their own in its place between our checks and our use. */
void checkAncestors(const std::string &path)
{
    std::error_code ec;
    const fs::path parent = fs::canonical(fs::path(path).parent_path(), ec);
    if (ec)
        throw RunError("lock directory " + path + ": parent: " + ec.message());
    for (fs::path dir = parent;; dir = dir.parent_path()) {
        struct stat st = {};
        if (stat(dir.c_str(), &st) != 0)
            throw RunError("lock directory " + path + ": " + dir.string() + ": " +
                           errnoText(errno));
        const bool othersWrite = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
        if (st.st_uid != 0 || (othersWrite && !(st.st_mode & S_ISVTX)))
            throw RunError("lock directory " + path + ": " + dir.string() +
                           " above it must be owned by root and writable only by root (or "
                           "sticky, like /tmp)");
        if (dir == dir.root_path())
            break;
    }
}

} // namespace

LockDir::LockDir(const std::string &path) : path_(path)
{
    struct stat st = {};
    if (lstat(path.c_str(), &st) != 0) {
        if (errno != ENOENT)
            throw RunError("lock directory " + path + ": " + errnoText(errno));
        checkAncestors(path);
        if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
            throw RunError("lock directory " + path + ": " + errnoText(errno));
        if (lstat(path.c_str(), &st) != 0)
            throw RunError("lock directory " + path + ": " + errnoText(errno));
    }
    if (S_ISLNK(st.st_mode))
        throw RunError("lock directory " + path + " is a symlink: refusing to use it");
    if (!S_ISDIR(st.st_mode))
        throw RunError("lock directory " + path + " is not a directory");
    if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
        throw RunError("lock directory " + path +
                       " must be owned by root and writable only by root");
    checkAncestors(path);
    fd_ = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd_ < 0)
        throw RunError("lock directory " + path + ": " + errnoText(errno));
    struct stat opened = {};
    if (fstat(fd_, &opened) != 0 || opened.st_dev != st.st_dev || opened.st_ino != st.st_ino) {
        close(fd_);
        throw RunError("lock directory " + path + " changed while being opened");
    }
}

LockDir::~LockDir()
{
    if (fd_ >= 0)
        close(fd_);
}

std::string LockHolder::str() const
{
    if (jobId == 0)
        return "another job";
    return "job " + std::to_string(jobId) + " (user " + user + ")";
}

DeviceLock::DeviceLock(const LockDir &dir, const std::string &node, const std::string &device,
                       const LockHolder &self, Conflict conflict,
                       std::chrono::milliseconds waitLimit)
{
    const std::string file = node + "." + device + ".lock";
    const std::string path = dir.path() + "/" + file;
    fd_ = openRootFile(dir.fd(), file, 0644, "lock file " + path);
    try {
        /* Never a blocking flock: polling keeps the wait bounded (slurmstepd cannot be
         * interrupted here, and jobs spanning nodes can wait for each other). */
        const auto deadline = std::chrono::steady_clock::now() + waitLimit;
        while (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            if (errno == EINTR)
                continue;
            if (errno != EWOULDBLOCK)
                throw RunError("lock file " + path + ": " + errnoText(errno));
            if (conflict == Conflict::Refuse)
                throw RunError(device + " on " + node + " is in use by " + readHolder(fd_).str());
            if (std::chrono::steady_clock::now() >= deadline)
                throw RunError(device + " on " + node + " is still in use by " +
                               readHolder(fd_).str() + " after waiting " + durationText(waitLimit) +
                               " (conflict=wait)");
            std::this_thread::sleep_for(kWaitPoll);
        }
        writeHolder(fd_, self);
    } catch (...) {
        close(fd_);
        throw;
    }
}

DeviceLock::~DeviceLock()
{
    /* Closing the only descriptor releases the flock. */
    close(fd_);
}

} // namespace lockstep::spank
