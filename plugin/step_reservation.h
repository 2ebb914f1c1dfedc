/* Everything a job step holds on one node: the device locks, the GPIO lines of its real motors
 * (requested by the plugin, inherited by the tasks), the camera access given to the user, and
 * the duty to put the devices into a safe state when the step ends. */
#pragma once

#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

#include "config/rig.h"
#include "device_access.h"
#include "device_lock.h"
#include "device_request.h"
#include "node_safety.h"
#include "plugin_args.h"
#include "step_lines.h"

namespace lockstep::spank
{

struct StepIdentity {
    unsigned jobId = 0;
    unsigned stepId = 0;
    uid_t uid = 0;
    std::string user;
    std::string slurmNode; /* this node's Slurm name (for draining it) */
};

/* slurm_info / slurm_error with the plugin's "lockstep: " prefix. */
void logToSlurmd(bool error, const std::string &message);

class StepReservation
{
public:
    /* Loads the rig (only a file no user could write), finds this node, locks the requested
     * devices, refuses devices marked unsafe, secures a device whose last holder died before
     * taking it over, requests the lines of the real motors and opens real cameras to the
     * user. Throws InputError (bad request,
     * unknown device), ConfigError (rig file) or RunError (locks, access, unsafe); whatever it
     * took until then is released again. */
    StepReservation(const PluginArgs &args, const DeviceRequest &request, const StepIdentity &step);
    /* release() */
    ~StepReservation();
    StepReservation(const StepReservation &) = delete;
    StepReservation &operator=(const StepReservation &) = delete;

    /* Drives every reserved motor's ENABLE to its safe state and logs it (real motors through
     * the step's own line request). Safe to repeat. */
    void makeMotorsSafe() const noexcept;
    /* The end of the step: processes of the job still holding a device are killed, motors
     * made safe (a device that cannot be is marked unsafe and the node drained), access
     * taken back, locks released (recording a clean release only for safe devices). */
    void release() noexcept;

    const std::string &rigPath() const { return rig_.path; }
    const std::string &nodeName() const { return node_->hostname; }
    /* The reserved devices, comma separated. */
    std::string deviceList() const;
    /* The line request of the real motors, or nullptr (none reserved). */
    const StepLines *lines() const { return lines_.get(); }

private:
    void lockDevices(const StepIdentity &step, const PluginArgs &args);
    void requestLines(const StepIdentity &step);
    void grantAccess(uid_t uid, const PluginArgs &args);

    RigConfig rig_;
    const NodeConfig *node_ = nullptr;
    std::vector<Device> devices_;
    std::vector<std::string> motors_;
    StepIdentity step_;
    std::unique_ptr<LockDir> dir_;
    std::unique_ptr<NodeSafety> safety_;
    std::vector<std::unique_ptr<DeviceLock>> locks_; /* in devices_ order */
    std::unique_ptr<StepLines> lines_;               /* after locks_: let go before they go */
    std::unique_ptr<DeviceAccess> access_;           /* after locks_: taken back before they go */
};

/* This machine's name as the rig file would list it. */
std::string thisHostName();

} // namespace lockstep::spank
