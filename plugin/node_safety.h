/* What the plugin does about a device that may not be safe: at the end of a step, when a step
 * takes over a device whose last holder died, in the job epilog (which slurmd runs even when
 * the step's slurmstepd is gone) and when slurmd starts. Processes of the old job still holding
 * the device are killed, a motor's ENABLE is driven inactive; what cannot be made safe is
 * marked unsafe and the node drained, loudly (slurm_error). */
#pragma once

#include <string>
#include <vector>

#include "config/rig.h"
#include "device_lock.h"
#include "device_request.h"
#include "plugin_args.h"

namespace lockstep::spank
{

class NodeSafety
{
public:
    NodeSafety(const RigConfig &rig, const NodeConfig &node, const LockDir &dir,
               std::string slurmNode);

    /* What a process of the job that still holds the device means. */
    enum class Leftover {
        /* At the end of a live step, after Slurm killed the step's processes: it escaped the
         * step's process tracking on purpose, so the device is marked unsafe even once it is
         * killed (nothing the job did with it can be trusted). */
        Unsafe,
        /* After its slurmstepd died: an orphaned task, expected; killed, and the device is
         * safe if that and driving ENABLE work. */
        Orphan,
    };

    /* Kills the processes of job `jobId` (0: none) that still hold the device, drives a
     * motor's ENABLE inactive. True if the device is safe now; otherwise it is marked unsafe
     * and the node drained. `when` says why it is checked, for the log. */
    bool secure(const Device &device, unsigned jobId, const std::string &when,
                Leftover leftover) noexcept;
    /* The same for one step of the job (at the step's end: other steps may still run). */
    bool secure(const Device &device, unsigned jobId, long stepId, const std::string &when,
                Leftover leftover) noexcept;
    /* At the end of a step that requested its motors' lines itself (step_lines.h): kills the
     * step's processes still holding one of the request descriptors `fds` (they escaped the
     * step) and marks every motor of `motors` unsafe if there were any. False if so. */
    bool secureLineRequest(const std::vector<Device> &motors, const std::vector<int> &fds,
                           unsigned jobId, long stepId, const std::string &when) noexcept;
    /* Throws RunError if the device is marked unsafe, saying how an administrator clears it. */
    void refuseIfUnsafe(const Device &device) const;
    bool markedUnsafe(const Device &device) const;

private:
    void declareUnsafe(const Device &device, const std::string &reason) noexcept;

    const RigConfig &rig_;
    const NodeConfig &node_;
    const LockDir &dir_;
    std::string slurmNode_;
};

/* Every device of this node whose lock nobody holds and whose last holder died is secured
 * (see NodeSafety::secure), then stale grants are swept. For the job epilog (jobId: the job
 * that ended) and slurmd's start (jobId 0). Does nothing if this node is not in the rig. */
void recoverNode(const PluginArgs &args, unsigned jobId, const std::string &slurmNode);

/* The rig file, after checking that no user could have written it (root_file.h). */
RigConfig loadTrustedRig(const std::string &path);

/* This node's entry in the rig (by hostname, then short hostname), or nullptr. */
const NodeConfig *findThisNode(const RigConfig &rig);

} // namespace lockstep::spank
