/* Processes that still hold a device open after its step ended (escaped from the step's process
 * tracking, e.g. by double fork and setsid): found through /proc/<pid>/fd. */
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace lockstep::spank
{

struct DeviceHolder {
    pid_t pid = 0;
    uid_t uid = 0;
    std::string command; /* /proc/<pid>/comm */

    std::string str() const; /* "process 123 (sim_line, uid 1001)" */
};

/* Every process but this one with an open file that is `file` (the same inode, or for a
 * character device any node of the same device number) whose environment names Slurm job
 * `jobId` (SLURM_JOB_ID) and, if given, step `stepId` (SLURM_STEP_ID): processes of other jobs
 * or steps sharing the chip are not this step's business. Unreadable processes are skipped. */
constexpr long kAnyStep = -1;
std::vector<DeviceHolder> findJobHolders(const std::string &file, unsigned jobId,
                                         long stepId = kAnyStep,
                                         const std::string &procRoot = "/proc");

/* The same for an open file of this process that has no path to look for (a GPIO line request
 * is an anonymous inode): a holder has an open file with the same device, inode and name in
 * /proc/<pid>/fd (for an anonymous inode the name gives its kind, "anon_inode:gpio-line"; the
 * inode is shared by every anonymous file of that kind, which is why only the job's and step's
 * processes are looked at: they cannot have got such a file from anyone but the plugin). */
std::vector<DeviceHolder> findJobHoldersOfFd(int fd, unsigned jobId, long stepId,
                                             const std::string &procRoot = "/proc");

/* Every process of the job (and step, if given) with at least one open file: after the step's
 * slurmstepd died, its orphaned tasks may hold the step's GPIO line request, which has no path to
 * look for and, without the step's own descriptor, nothing to compare with. */
std::vector<DeviceHolder> findJobProcesses(unsigned jobId, long stepId,
                                           const std::string &procRoot = "/proc");

/* SIGKILLs each holder and waits up to a second for it to be gone. Returns those still there. */
std::vector<DeviceHolder> killHolders(const std::vector<DeviceHolder> &holders);

} // namespace lockstep::spank
