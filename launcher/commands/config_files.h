/* Loading a plan with its rig, as every command that takes a PLAN does. */
#pragma once

#include <string>

#include "config/plan.h"
#include "config/rig.h"

namespace lockstep
{

/* rigPath empty: the plan's own `rig:`. Throws ConfigError (every problem of both files at once,
 * see loadPlanWithRig and loadPlanWithItsRig). */
LoadedConfig loadPlanAndRig(const std::string &planPath, const std::string &rigPath);

} // namespace lockstep
