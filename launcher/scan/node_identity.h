/* Which node of the rig this process is. */
#pragma once

#include <string>

#include "config/rig.h"

namespace lockstep
{

/* In order: `explicitNode` (--node), $LOCKSTEP_NODE (set by the SPANK plugin), the short
 * hostname. Throws InputError naming the rig's hosts when none matches. */
const NodeConfig &resolveNode(const RigConfig &rig, const std::string &explicitNode);

/* The rig's node number `rank`, for a simulated rig run as several processes on one machine
 * (mpirun --node-by-rank). Throws InputError if the rig has fewer nodes than ranks. */
const NodeConfig &nodeForRank(const RigConfig &rig, int rank, int size);

} // namespace lockstep
