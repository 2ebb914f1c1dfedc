#include "gpio/shared_lines.h"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/errors.h"

namespace lockstep
{

namespace
{

constexpr uint32_t kMagic = 0x4c53474c;
constexpr uint32_t kVersion = 1;

/* The layout is part of the interface with other processes (see the header). */
static_assert(std::atomic<uint8_t>::is_always_lock_free);
static_assert(std::atomic<int32_t>::is_always_lock_free);
static_assert(sizeof(std::atomic<uint8_t>) == 1 && sizeof(std::atomic<int32_t>) == 4);
static_assert(offsetof(SimLinesState, level) == 16);
static_assert(offsetof(SimLinesState, owner) == 80);
static_assert(sizeof(SimLinesState) == 336);

[[noreturn]] void fail(const std::string &what, const std::string &path, int error)
{
    throw RunError(what + " " + path + ": " + std::strerror(error));
}

/* A zombie has already closed its files, so the kernel would have released its lines: it
 * counts as gone (a container's PID 1 may never reap it). */
bool isZombie(int32_t pid)
{
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line))
        return false;
    const size_t end = line.rfind(')'); /* the command name may contain spaces */
    return end != std::string::npos && end + 2 < line.size() && line[end + 2] == 'Z';
}

bool processAlive(int32_t pid)
{
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM) && !isZombie(pid);
}

/* Holds flock(LOCK_EX) for a scope. */
class FileLock
{
public:
    FileLock(int fd, const std::string &path) : fd_(fd)
    {
        while (flock(fd_, LOCK_EX) != 0) {
            if (errno != EINTR)
                fail("cannot lock", path, errno);
        }
    }
    ~FileLock() { flock(fd_, LOCK_UN); }
    FileLock(const FileLock &) = delete;
    FileLock &operator=(const FileLock &) = delete;

private:
    int fd_;
};

} // namespace

SharedLines::SharedLines(const std::string &path, Mode mode) : path_(path)
{
    if (mode == Mode::Create) {
        std::error_code ec;
        std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
        if (ec)
            throw RunError("cannot create the directory of " + path + ": " + ec.message());
    }
    const bool readOnly = mode == Mode::ReadOnly;
    const int flags =
        (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC | (mode == Mode::Create ? O_CREAT : 0);
    fd_ = open(path.c_str(), flags, 0666);
    if (fd_ < 0)
        fail("cannot open simulated GPIO state", path, errno);

    try {
        FileLock lock(fd_, path_);
        struct stat st = {};
        if (fstat(fd_, &st) != 0)
            fail("cannot stat", path, errno);
        const bool fresh = st.st_size == 0;
        if (fresh && mode != Mode::Create)
            throw RunError("simulated GPIO state " + path + " is not initialised yet");
        if (!fresh && st.st_size != static_cast<off_t>(sizeof(SimLinesState)))
            throw RunError(path + " is not a lockstep simulated GPIO state file (size " +
                           std::to_string(st.st_size) + ")");
        if (fresh && ftruncate(fd_, sizeof(SimLinesState)) != 0)
            fail("cannot size", path, errno);

        const int protection = readOnly ? PROT_READ : PROT_READ | PROT_WRITE;
        void *map = mmap(nullptr, sizeof(SimLinesState), protection, MAP_SHARED, fd_, 0);
        if (map == MAP_FAILED)
            fail("cannot map", path, errno);
        state_ = static_cast<SimLinesState *>(map);

        if (fresh) {
            /* ftruncate zero-filled the file: every line free and low. The header is only
             * written and checked under the file lock. */
            state_->magic = kMagic;
            state_->version = kVersion;
            state_->lines = kSimLineCount;
        } else if (state_->magic != kMagic || state_->version != kVersion ||
                   state_->lines != kSimLineCount) {
            throw RunError(path + " is not a lockstep simulated GPIO state file (version " +
                           std::to_string(kVersion) + ")");
        }
    } catch (...) {
        if (state_)
            munmap(state_, sizeof(SimLinesState));
        close(fd_);
        throw;
    }
}

SharedLines::~SharedLines()
{
    munmap(state_, sizeof(SimLinesState));
    close(fd_);
}

void SharedLines::claim(std::span<const unsigned> offsets)
{
    FileLock lock(fd_, path_);
    for (unsigned offset : offsets) {
        const int32_t holder = state_->owner[offset].load();
        if (processAlive(holder))
            throw RunError("GPIO line " + std::to_string(offset) + " of " + path_ +
                           " is busy: held by process " + std::to_string(holder));
    }
    for (unsigned offset : offsets)
        state_->owner[offset].store(getpid());
}

void SharedLines::release(std::span<const unsigned> offsets) noexcept
{
    try {
        FileLock lock(fd_, path_);
        for (unsigned offset : offsets) {
            int32_t self = getpid();
            state_->owner[offset].compare_exchange_strong(self, 0);
        }
    } catch (const RunError &) {
        /* Without the lock the lines stay marked ours; they free themselves when we exit. */
    }
}

} // namespace lockstep
