#include "scan/node_identity.h"

#include <cstdlib>
#include <set>
#include <unistd.h>

#include "scan/plan_queries.h"
#include "util/errors.h"

namespace lockstep
{

static std::string shortHostname()
{
    char name[256] = {};
    if (gethostname(name, sizeof(name) - 1) != 0)
        return {};
    std::string host(name);
    return host.substr(0, host.find('.'));
}

static std::string rigHosts(const RigConfig &rig)
{
    std::string hosts;
    for (const NodeConfig &node : rig.nodes)
        hosts += (hosts.empty() ? "" : ", ") + node.hostname;
    return hosts;
}

const NodeConfig &resolveNode(const RigConfig &rig, const std::string &explicitNode)
{
    std::string host = explicitNode;
    std::string source = "--node";
    if (host.empty()) {
        if (const char *env = std::getenv("LOCKSTEP_NODE"); env && *env) {
            host = env;
            source = "$LOCKSTEP_NODE";
        } else {
            host = shortHostname();
            source = "this host's name";
        }
    }
    if (const NodeConfig *node = rig.findNode(host))
        return *node;
    throw InputError(rig.path + ": no node '" + host + "' (from " + source +
                     ") in the rig; it has: " + rigHosts(rig));
}

const NodeConfig &nodeForRank(const RigConfig &rig, int rank, int size)
{
    if (static_cast<size_t>(size) > rig.nodes.size())
        throw InputError(rig.path + ": " + std::to_string(size) +
                         " processes but the rig has only " + std::to_string(rig.nodes.size()) +
                         " nodes");
    return rig.nodes.at(static_cast<size_t>(rank));
}

void checkRanks(const RigConfig &rig, const ScanPlan &plan, const std::vector<std::string> &hosts)
{
    std::set<std::string> seen;
    for (size_t r = 0; r < hosts.size(); ++r)
        if (!seen.insert(hosts[r]).second)
            throw InputError("node " + hosts[r] + " is played by more than one process (rank " +
                             std::to_string(r) + "); run one task per node");
    for (const NodeConfig &node : rig.nodes) {
        const bool hasWork = !scanCameras(plan, node).empty() || !scanMotors(plan, node).empty();
        if (hasWork && !seen.count(node.hostname))
            throw InputError("node " + node.hostname +
                             " has cameras or motors in this scan but no process runs on it; "
                             "start one task per node (srun -N" +
                             std::to_string(rig.nodes.size()) + " --ntasks-per-node=1)");
    }
}

} // namespace lockstep
