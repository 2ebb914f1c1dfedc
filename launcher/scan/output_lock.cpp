#include "scan/output_lock.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <unistd.h>

#include "util/chrono_clocks.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

std::string holderOf(int fd)
{
    char text[512] = {};
    const ssize_t n = ::pread(fd, text, sizeof(text) - 1, 0);
    std::string holder(text, n > 0 ? static_cast<size_t>(n) : 0);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0'))
        holder.pop_back();
    return holder.empty() ? "a process that has not written its name yet" : holder;
}

std::string me()
{
    char host[256] = {};
    ::gethostname(host, sizeof(host) - 1);
    return "lockstep scan, pid " + std::to_string(::getpid()) + " on " + host + ", uid " +
           std::to_string(::getuid()) + ", since " +
           std::to_string(
               std::chrono::floor<std::chrono::seconds>(RealtimeClock::now().time_since_epoch())
                   .count()) +
           " (unix time)\n";
}

} // namespace

OutputLock::OutputLock(const std::string &scanRoot) : path_(scanRoot + "/.lock")
{
    /* The folder first (a refused scan finds it there already: whoever holds the lock made it);
     * otherwise nobody holds the lock, and the folder is this scan's). */
    std::error_code ec;
    std::filesystem::create_directories(scanRoot, ec);
    if (ec)
        throw RunError("cannot create " + scanRoot + ": " + ec.message());
    fd_ = UniqueFd(::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd_.valid())
        throw RunError("cannot open " + path_ + ": " + std::strerror(errno));
    if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            throw InputError(scanRoot + " is in use by another scan (" + holderOf(fd_.get()) +
                             "); wait for it to end or give another --out");
        throw RunError("cannot lock " + path_ + ": " + std::strerror(errno));
    }
    const std::string holder = me();
    if (::ftruncate(fd_.get(), 0) != 0 ||
        ::pwrite(fd_.get(), holder.data(), holder.size(), 0) != static_cast<ssize_t>(holder.size()))
        throw RunError("cannot write " + path_ + ": " + std::strerror(errno));
}

} // namespace lockstep
