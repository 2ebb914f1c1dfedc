/* A watchdog process that outlives this one by moments, for deaths nothing else notices.
 *
 * Under Slurm the SPANK plugin makes a node's motors safe when a step ends however it ends; under
 * mpirun, or run by hand, nothing does: a `kill -9` of a rank that holds ENABLE asserted would
 * leave the driver energised. So the process forks a small child when it opens such lines. The
 * child waits on a socket whose other end only this process holds: when this process ends without
 * disarming it (killed by any signal, crashed, _exit), the kernel closes its end, the child's read
 * sees end-of-file at once, and the child runs its action (drive the lines safe) and says so.
 * A clean end disarms it first (one byte, then the child exits without a word).
 *
 * The child is forked from a process that may have threads, so until it exits it only makes
 * system calls and runs the prepared action, which must not allocate or take a lock another
 * thread could have held at the fork: GpioLines::set() (no allocation, a spin lock that is free
 * while no move runs) qualifies when the watchdog is started before the step executor. The
 * child leaves the process group (a terminal's Ctrl-C or a launcher's group kill would take it
 * with its parent) and ignores SIGINT, SIGTERM and SIGHUP; only SIGKILL ends it early, as when a
 * Slurm step's cgroup is killed, where the plugin makes the lines safe instead. */
#pragma once

#include <functional>
#include <string>
#include <sys/types.h>

#include "util/unique_fd.h"

namespace lockstep
{

class DeathWatchdog
{
public:
    /* Forks the watchdog. `action` runs in the child after this process died and returns
     * whether it had anything to do (lines still active; a process that released them itself
     * before an emergency exit leaves nothing); `message` is written to stderr then, as one
     * line. Throws std::runtime_error if the socket pair or the fork fails. */
    DeathWatchdog(const std::function<bool()> &action, std::string message);
    /* Disarms the watchdog and waits for it to exit. */
    ~DeathWatchdog();
    DeathWatchdog(const DeathWatchdog &) = delete;
    DeathWatchdog &operator=(const DeathWatchdog &) = delete;

    pid_t pid() const { return pid_; }

private:
    UniqueFd disarm_; /* this process's end of the socket pair: its only copy */
    pid_t pid_ = -1;
};

/* "rank R (PID P)" under a PMIx launcher (PMIX_RANK set), else "process P": how a watchdog's
 * message names the process it watches. */
std::string describeWatchedProcess();

} // namespace lockstep
