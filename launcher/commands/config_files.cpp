#include "commands/config_files.h"

#include "util/errors.h"

namespace lockstep
{

LoadedConfig loadPlanAndRig(const std::string &planPath, const std::string &rigPath)
{
    std::string rigFile = rigPath;
    if (rigFile.empty()) {
        const std::optional<std::string> named = planRigPath(planPath);
        if (!named)
            throw InputError(planPath + ": the plan names no `rig:` file; give --rig RIG");
        rigFile = *named;
    }
    return loadPlanWithRig(planPath, rigFile);
}

} // namespace lockstep
