/* spank_lockstep.so: reserves rig devices (motors, cameras) for Slurm job steps.
 *
 * This file is the dispatcher: the SPANK entry points, the option, and the boundary that no
 * exception crosses. The work for each context lives in context_*.cpp. */
#include <exception>
#include <string>
#include <vector>

#include "contexts.h"

extern "C" {
/* Exported by hand: SPANK_PLUGIN() gives them internal linkage in C++ (a const at namespace
 * scope), and slurmd would then reject the file as "not a Slurm plugin". */
extern const char plugin_name[] = "lockstep";
extern const char plugin_type[] = "spank";
extern const unsigned int plugin_version = SLURM_VERSION_NUMBER;
}

namespace lockstep::spank
{

PluginState &pluginState()
{
    static PluginState state;
    return state;
}

namespace
{

/* Slurm treats only a NEGATIVE return as failure (ESPANK_ERROR is positive and would let
 * the task run), so failures are -1. */
template <typename Fn> int guarded(const char *callback, Fn &&fn) noexcept
{
    try {
        return fn(pluginState()) == 0 ? 0 : -1;
    } catch (const std::exception &e) {
        slurm_error("lockstep: %s", e.what());
    } catch (...) {
        slurm_error("lockstep: unexpected failure in %s", callback);
    }
    return -1;
}

bool remote()
{
    return spank_context() == S_CTX_REMOTE;
}

int onLockstepOption(int /*val*/, const char *optarg, int isRemote)
{
    return guarded("--lockstep", [&](PluginState &state) {
        state.option = optarg ? optarg : "";
        return isRemote ? 0 : validateOptionLocally(state, optarg);
    });
}

char kOptionName[] = "lockstep";
char kOptionArg[] = "DEVICES";
char kOptionUsage[] =
    "Reserve rig devices on each node of the step: all, cameras, motors, or device names from "
    "the rig file, comma separated. Exported to tasks as LOCKSTEP_DEVICES.";

int registerOption(spank_t sp)
{
    struct spank_option option = {kOptionName, kOptionArg, kOptionUsage, 1, 0, onLockstepOption};
    return spank_option_register(sp, &option) == ESPANK_SUCCESS ? 0 : -1;
}

} // namespace
} // namespace lockstep::spank

using lockstep::spank::guarded;
using lockstep::spank::PluginState;
using lockstep::spank::remote;

extern "C" {

int slurm_spank_init(spank_t sp, int ac, char **av)
{
    return guarded("init", [&](PluginState &state) {
        state.args = lockstep::spank::parsePluginArgs(std::vector<std::string>(av, av + ac));
        /* The option is registered in every context (slurm-spank.md), slurmd's too. */
        if (spank_context() == S_CTX_SLURMD && lockstep::spank::slurmdInit(state) != 0)
            return -1;
        /* The epilog has no options: a failure there would drain the node for nothing. */
        if (spank_context() == S_CTX_JOB_SCRIPT)
            return 0;
        return lockstep::spank::registerOption(sp);
    });
}

int slurm_spank_init_post_opt(spank_t sp, int /*ac*/, char ** /*av*/)
{
    return guarded("init_post_opt", [&](PluginState &state) {
        return remote() ? lockstep::spank::remoteInitPostOpt(state, sp) : 0;
    });
}

int slurm_spank_task_init_privileged(spank_t sp, int /*ac*/, char ** /*av*/)
{
    return guarded("task_init_privileged", [&](PluginState &state) {
        return lockstep::spank::remoteTaskInitPrivileged(state, sp);
    });
}

int slurm_spank_task_init(spank_t sp, int /*ac*/, char ** /*av*/)
{
    return guarded("task_init",
                   [&](PluginState &state) { return lockstep::spank::remoteTaskInit(state, sp); });
}

int slurm_spank_task_exit(spank_t sp, int /*ac*/, char ** /*av*/)
{
    return guarded("task_exit",
                   [&](PluginState &state) { return lockstep::spank::remoteTaskExit(state, sp); });
}

int slurm_spank_job_epilog(spank_t sp, int ac, char **av)
{
    return guarded("job_epilog", [&](PluginState &state) {
        /* The epilog's process gets its arguments here (init is not called for it). */
        state.args = lockstep::spank::parsePluginArgs(std::vector<std::string>(av, av + ac));
        return lockstep::spank::jobEpilog(state, sp);
    });
}

int slurm_spank_exit(spank_t sp, int /*ac*/, char ** /*av*/)
{
    return guarded("exit", [&](PluginState &state) {
        return remote() ? lockstep::spank::remoteExit(state, sp) : 0;
    });
}

} // extern "C"
