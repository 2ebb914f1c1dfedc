#include "commands/config_files.h"

namespace lockstep
{

LoadedConfig loadPlanAndRig(const std::string &planPath, const std::string &rigPath)
{
    if (rigPath.empty())
        return loadPlanWithItsRig(planPath);
    return loadPlanWithRig(planPath, rigPath);
}

} // namespace lockstep
