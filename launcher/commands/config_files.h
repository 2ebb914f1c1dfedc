/* Loading a plan with its rig, as every command that takes a PLAN does. */
#pragma once

#include <string>

#include "config/plan.h"
#include "config/rig.h"

namespace lockstep
{

struct LoadedConfig {
    RigConfig rig;
    ScanPlan plan;
};

/* rigPath empty: the plan's own `rig:`. Throws ConfigError (every problem) or InputError. */
LoadedConfig loadPlanAndRig(const std::string &planPath, const std::string &rigPath);

} // namespace lockstep
