/* One function per SPANK callback and context; spank_lockstep.cpp dispatches to them. Each
 * returns 0 or -1 and may throw: the dispatcher catches. */
#pragma once

extern "C" {
#include <slurm/spank.h>
}

#include "plugin_state.h"

namespace lockstep::spank
{

/* srun, sbatch, salloc: the option value is checked when the option is parsed. */
int validateOptionLocally(PluginState &state, const char *optarg);

/* slurmd: report the configuration once, when slurmd starts, and secure devices left behind. */
int slurmdInit(PluginState &state);
/* The job epilog (run by slurmd as root): secure devices the job's steps left behind. */
int jobEpilog(PluginState &state, spank_t sp);

/* slurmstepd */
int remoteInitPostOpt(PluginState &state, spank_t sp);
int remoteTaskInitPrivileged(PluginState &state, spank_t sp);
int remoteTaskInit(PluginState &state, spank_t sp);
int remoteTaskExit(PluginState &state, spank_t sp);
int remoteExit(PluginState &state, spank_t sp);

} // namespace lockstep::spank
