/* Asks slurmctld which GRES a job holds on one node (see job_gres.h). slurmstepd only. */
#pragma once

#include <string>

#include "job_gres.h"

namespace lockstep::spank
{

/* slurm_load_job(SHOW_DETAIL): the job's gres_detail_str entry for `slurmNode` (Slurm's name
 * for this node, from the step's environment). That name is believed only if it is this
 * machine's `hostname`, or slurmctld's record of the node says its NodeHostname is: a job must
 * not borrow the GRES it holds on another node. Throws RunError if slurmctld cannot say. */
GresCounts jobGresOnNode(unsigned jobId, const std::string &slurmNode, const std::string &hostname);

/* True if `slurmNode` names the machine `hostname`: the same name, or slurmctld's record of the
 * node has it as its NodeHostname. False also when slurmctld cannot be asked. */
bool slurmNodeIsHost(const std::string &slurmNode, const std::string &hostname);

} // namespace lockstep::spank
