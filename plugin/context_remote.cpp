/* S_CTX_REMOTE (slurmstepd). Devices are reserved for the job's real steps only: the batch
 * step, the extern step and the interactive step reserve nothing (a failure there would
 * drain the node instead of failing the job); their srun steps do the reserving. */
#include <pwd.h>
#include <unistd.h>

#include "contexts.h"
#include "device_request.h"
#include "gpio/inherited_gpio.h"
#include "job_gres_query.h"
#include "util/errors.h"

extern "C" {
#include <slurm/slurm.h>
}

namespace lockstep::spank
{

namespace
{

bool isRealStep(uint32_t stepId)
{
    return stepId != SLURM_BATCH_SCRIPT && stepId != SLURM_EXTERN_CONT &&
           stepId != SLURM_INTERACTIVE_STEP;
}

std::string userName(uid_t uid)
{
    struct passwd pw = {};
    struct passwd *found = nullptr;
    char buf[4096];
    if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 && found)
        return found->pw_name;
    return std::to_string(uid);
}

StepIdentity stepIdentity(spank_t sp)
{
    StepIdentity step;
    uint32_t job = 0;
    uint32_t stepId = 0;
    uid_t uid = 0;
    if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS ||
        spank_get_item(sp, S_JOB_STEPID, &stepId) != ESPANK_SUCCESS ||
        spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS)
        throw RunError("cannot read the job's id, step and user from Slurm");
    step.jobId = job;
    step.stepId = stepId;
    step.uid = uid;
    step.user = userName(uid);
    /* Slurm's name for this node, which scontrol needs to drain it and the GRES check to find
     * it (may differ from the hostname the rig file uses). The task's environment is the
     * submitter's: an srun inside a batch job carries the batch node's SLURMD_NODENAME to every
     * node, so it counts only if it names this machine; else the rig's hostname is used. */
    char node[256] = {};
    if (spank_getenv(sp, "SLURMD_NODENAME", node, sizeof(node)) == ESPANK_SUCCESS &&
        slurmNodeIsHost(node, thisHostName()))
        step.slurmNode = node;
    return step;
}

void setJobEnv(spank_t sp, const char *name, const std::string &value)
{
    if (spank_setenv(sp, name, value.c_str(), 1) != ESPANK_SUCCESS)
        throw RunError(std::string("cannot set ") + name + " for the task");
}

} // namespace

int remoteInitPostOpt(PluginState &state, spank_t sp)
{
    if (!state.option)
        return 0;
    const StepIdentity step = stepIdentity(sp);
    if (!isRealStep(step.stepId))
        return 0;
    try {
        state.reservation =
            std::make_unique<StepReservation>(state.args, parseDeviceRequest(*state.option), step);
        slurm_info("lockstep: job %u step %u reserved [%s] on %s", step.jobId, step.stepId,
                   state.reservation->deviceList().c_str(), state.reservation->nodeName().c_str());
    } catch (const std::exception &e) {
        /* Reported from task_init, where srun sees it. */
        state.error = e.what();
        slurm_error("lockstep: job %u step %u: %s", step.jobId, step.stepId, e.what());
    }
    return 0;
}

int remoteTaskInit(PluginState &state, spank_t sp)
{
    if (!state.error.empty()) {
        slurm_error("lockstep: %s", state.error.c_str());
        return -1;
    }
    if (!state.reservation)
        return 0;
    setJobEnv(sp, "LOCKSTEP_DEVICES", state.reservation->deviceList());
    setJobEnv(sp, "LOCKSTEP_RIG", state.reservation->rigPath());
    setJobEnv(sp, "LOCKSTEP_NODE", state.reservation->nodeName());
    if (const StepLines *lines = state.reservation->lines())
        setJobEnv(sp, kInheritedGpioVariable, lines->environment());
    return 0;
}

int remoteTaskInitPrivileged(PluginState &state, spank_t /*sp*/)
{
    /* In the forked task, as root, before exec: the step's line request descriptors (close-on-
     * exec in slurmstepd, so that nothing else it starts gets them) stay open across the
     * task's exec. A reservation error is reported from task_init. */
    if (state.error.empty() && state.reservation)
        if (const StepLines *lines = state.reservation->lines())
            lines->inheritAcrossExec();
    return 0;
}

int remoteTaskExit(PluginState &state, spank_t /*sp*/)
{
    /* Any task's end, SIGKILL included: the motor it drove must not stay enabled. */
    if (state.reservation)
        state.reservation->makeMotorsSafe();
    return 0;
}

int remoteExit(PluginState &state, spank_t /*sp*/)
{
    /* After the step's processes were killed: what still holds a device escaped them. */
    if (state.reservation)
        state.reservation->release();
    state.reservation.reset();
    return 0;
}

} // namespace lockstep::spank
