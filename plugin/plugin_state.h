/* What the plugin knows within one process (srun, sbatch, slurmd or one slurmstepd). */
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "plugin_args.h"
#include "step_reservation.h"

namespace lockstep::spank
{

struct PluginState {
    PluginArgs args;
    std::optional<std::string> option; /* --lockstep's value, if given */
    /* slurmstepd only: the step's reservation, and the error that prevented it, kept for
     * task_init (the only later callback whose failure reaches srun). */
    std::unique_ptr<StepReservation> reservation;
    std::string error;
};

PluginState &pluginState();

} // namespace lockstep::spank
