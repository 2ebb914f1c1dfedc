/* S_CTX_SLURMD: the plugin is loaded for slurmd's life; S_CTX_JOB_SCRIPT: the job epilog,
 * which slurmd runs as root when a job ends on this node, whether or not the step's slurmstepd
 * is still there. */
#include <cstdlib>

#include "contexts.h"
#include "node_safety.h"
#include "step_reservation.h"

namespace lockstep::spank
{

namespace
{

std::string slurmNodeName()
{
    const char *name = std::getenv("SLURMD_NODENAME");
    if (name && *name)
        return name;
    const std::string host = thisHostName();
    return host.substr(0, host.find('.'));
}

} // namespace

int slurmdInit(PluginState &state)
{
    slurm_info("lockstep: plugin loaded (%s)", state.args.str().c_str());
    /* Devices left behind while slurmd was down (a crash, a kill -9 of slurmstepd). A failure
     * here is logged but does not stop slurmd: refusing the devices is the reservations' job. */
    try {
        recoverNode(state.args, 0, slurmNodeName());
    } catch (const std::exception &e) {
        slurm_error("lockstep: checking devices left behind at slurmd's start: %s", e.what());
    }
    return 0;
}

int jobEpilog(PluginState &state, spank_t sp)
{
    uint32_t job = 0;
    if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS)
        job = 0;
    try {
        recoverNode(state.args, job, slurmNodeName());
    } catch (const std::exception &e) {
        /* A device that could not be made safe has already drained the node with its own
         * reason (NodeSafety). What is left here is configuration (rig file, lock directory)
         * that no reservation could have used either: logged, and no "Epilog error" drain
         * that would hide the reason. */
        slurm_error("lockstep: epilog of job %u: %s", job, e.what());
    }
    return 0;
}

} // namespace lockstep::spank
