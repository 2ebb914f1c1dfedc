/* Which node of the rig this process is. */
#pragma once

#include <string>

#include <vector>

#include "config/plan.h"
#include "config/rig.h"

namespace lockstep
{

/* In order: `explicitNode` (--node), $LOCKSTEP_NODE (set by the SPANK plugin), the short
 * hostname. Throws InputError naming the rig's hosts when none matches. */
const NodeConfig &resolveNode(const RigConfig &rig, const std::string &explicitNode);

/* The rig's node number `rank`, for a simulated rig run as several processes on one machine
 * (mpirun --node-by-rank). Throws InputError if the rig has fewer nodes than ranks. */
const NodeConfig &nodeForRank(const RigConfig &rig, int rank, int size);

/* Checks the scan's ranks, `hosts` by rank: every rank a different node, and a rank on every
 * node with cameras or motors in the plan. Throws InputError saying how to start it right. */
void checkRanks(const RigConfig &rig, const ScanPlan &plan, const std::vector<std::string> &hosts);

} // namespace lockstep
