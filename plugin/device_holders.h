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

/* SIGKILLs each holder and waits up to a second for it to be gone. Returns those still there. */
std::vector<DeviceHolder> killHolders(const std::vector<DeviceHolder> &holders);

} // namespace lockstep::spank
