/* S_CTX_SLURMD: the plugin is loaded for slurmd's life. */
#include "contexts.h"

namespace lockstep::spank
{

int slurmdInit(PluginState &state)
{
    slurm_info("lockstep: plugin loaded (%s)", state.args.str().c_str());
    return 0;
}

} // namespace lockstep::spank
