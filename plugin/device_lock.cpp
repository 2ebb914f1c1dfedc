#include "device_lock.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "root_file.h"
#include "util/errors.h"

namespace lockstep::spank
{

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
    char state[16] = {};
    const int fields = std::sscanf(buf, "job=%u step=%u user=%127s state=%15s", &holder.jobId,
                                   &holder.stepId, user, state);
    if (fields >= 3)
        holder.user = user;
    /* A record without a state (an older plugin) counts as held: safe, not trusting. */
    holder.released = fields == 4 && std::string(state) == "released";
    return holder;
}

void writeHolder(int fd, const LockHolder &holder)
{
    const std::string text = "job=" + std::to_string(holder.jobId) +
                             " step=" + std::to_string(holder.stepId) + " user=" + holder.user +
                             " state=" + (holder.released ? "released" : "held") + "\n";
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text.data(), text.size(), 0) != ssize_t(text.size()))
        throw RunError(std::string("cannot write a lock file: ") + errnoText(errno));
}

/* The holder as the refused or waiting step should read it. */
std::string holderText(const LockHolder &holder, const LockHolder &self)
{
    if (holder.jobId != 0 && holder.jobId == self.jobId)
        return "step " + std::to_string(holder.stepId) + " of the same job";
    return holder.str();
}

} // namespace

LockDir::LockDir(const std::string &path) : path_(path)
{
    struct stat st = {};
    if (lstat(path.c_str(), &st) != 0) {
        if (errno != ENOENT)
            throw RunError("lock directory " + path + ": " + errnoText(errno));
        checkRootAncestors(path, "lock directory");
        if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
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
    checkRootAncestors(path, "lock directory");
    fd_ = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd_ < 0)
        throw RunError("lock directory " + path + ": " + errnoText(errno));
    struct stat opened = {};
    if (fstat(fd_, &opened) != 0 || opened.st_dev != st.st_dev || opened.st_ino != st.st_ino) {
        close(fd_);
        throw RunError("lock directory " + path + " changed while being opened");
    }
    /* Only root may look inside: a user who can open a lock file can hold its flock. */
    if ((opened.st_mode & 07777) != 0700 && fchmod(fd_, 0700) != 0) {
        const int err = errno;
        close(fd_);
        throw RunError("lock directory " + path + ": cannot make it 0700: " + errnoText(err));
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
                       std::chrono::milliseconds waitLimit, const WaitNotice &onWait)
{
    const std::string file = node + "." + device + ".lock";
    const std::string path = dir.path() + "/" + file;
    fd_ = openRootFile(dir.fd(), file, 0600, "lock file " + path);
    try {
        /* Never a blocking flock: polling keeps the wait bounded (slurmstepd cannot be
         * interrupted here, and jobs spanning nodes can wait for each other). */
        const auto deadline = std::chrono::steady_clock::now() + waitLimit;
        bool told = false;
        while (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            if (errno == EINTR)
                continue;
            if (errno != EWOULDBLOCK)
                throw RunError("lock file " + path + ": " + errnoText(errno));
            if (conflict == Conflict::Refuse)
                throw DeviceInUse(device + " on " + node + " is in use by " +
                                  holderText(readHolder(fd_), self));
            if (std::chrono::steady_clock::now() >= deadline)
                throw DeviceInUse(device + " on " + node + " is still in use by " +
                                  holderText(readHolder(fd_), self) + " after waiting " +
                                  durationText(waitLimit) + " (conflict=wait)");
            if (!told && onWait)
                onWait(holderText(readHolder(fd_), self));
            told = true;
            std::this_thread::sleep_for(kWaitPoll);
        }
        previous_ = readHolder(fd_);
        LockHolder held = self;
        held.released = false;
        writeHolder(fd_, held);
        self_ = held;
    } catch (...) {
        close(fd_);
        throw;
    }
}

bool DeviceLock::previousHolderDied() const
{
    return previous_.jobId != 0 && !previous_.released;
}

void DeviceLock::markReleased() noexcept
{
    try {
        LockHolder released = self_;
        released.released = true;
        writeHolder(fd_, released);
    } catch (const std::exception &) {
        /* The next holder then treats the device as left behind: it checks it once more. */
    }
}

DeviceLock::~DeviceLock()
{
    /* Closing the only descriptor releases the flock. */
    close(fd_);
}

} // namespace lockstep::spank
