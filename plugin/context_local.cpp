/* S_CTX_LOCAL (srun) and S_CTX_ALLOCATOR (sbatch, salloc). */
#include "contexts.h"
#include "device_request.h"

namespace lockstep::spank
{

int validateOptionLocally(PluginState & /*state*/, const char *optarg)
{
    /* Syntax only: the rig file lives on the nodes. A bad value fails the command at once. */
    parseDeviceRequest(optarg ? optarg : "");
    return 0;
}

} // namespace lockstep::spank
