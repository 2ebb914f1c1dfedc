#include "util/death_watchdog.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lockstep
{

namespace
{

/* The child's whole life: system calls and the prepared action only (see the header). */
[[noreturn]] void watch(int readEnd, const std::function<bool()> &action,
                        const std::string &message)
{
    setpgid(0, 0);
    prctl(PR_SET_NAME, "lockstep-wdog"); /* what ps and pgrep show: not a second rank */
    struct sigaction ignore {
    };
    ignore.sa_handler = SIG_IGN;
    for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE})
        sigaction(sig, &ignore, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);

    char byte = 0;
    ssize_t n = 0;
    do
        n = read(readEnd, &byte, 1);
    while (n < 0 && errno == EINTR);
    if (n == 1)
        _exit(0); /* disarmed: the parent ended cleanly */
    try {
        if (!action())
            _exit(0);
    } catch (...) {
        /* The message below still goes out: it says what was attempted. */
    }
    ssize_t done = 0;
    while (done < ssize_t(message.size())) {
        const ssize_t w = write(STDERR_FILENO, message.data() + done, message.size() - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += w;
    }
    _exit(0);
}

} // namespace

DeathWatchdog::DeathWatchdog(const std::function<bool()> &action, std::string message)
{
    /* A socket pair rather than a pipe: disarming a watchdog that was killed must not raise
     * SIGPIPE here (send() has MSG_NOSIGNAL, write() has nothing like it). */
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        throw std::runtime_error(std::string("watchdog: socketpair: ") + std::strerror(errno));
    UniqueFd readEnd(fds[0]);
    disarm_.reset(fds[1]);
    message += '\n';
    pid_ = fork();
    if (pid_ < 0)
        throw std::runtime_error(std::string("watchdog: fork: ") + std::strerror(errno));
    if (pid_ == 0) {
        /* The write end must not stay open here, or the end-of-file would never come. */
        close(disarm_.get());
        watch(readEnd.get(), action, message);
    }
}

DeathWatchdog::~DeathWatchdog()
{
    const char byte = 'x';
    ssize_t n = 0;
    do
        n = send(disarm_.get(), &byte, 1, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    disarm_.reset();
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
}

std::string describeWatchedProcess()
{
    const std::string pid = std::to_string(getpid());
    if (const char *rank = std::getenv("PMIX_RANK"); rank != nullptr && *rank != '\0')
        return "rank " + std::string(rank) + " (pid " + pid + ")";
    return "process " + pid;
}

} // namespace lockstep
