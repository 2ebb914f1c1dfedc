#include "step_reservation.h"

#include <unistd.h>

#include "gpio/gpio_lines.h"
#include "gpio/open_gpio.h"
#include "util/errors.h"

extern "C" {
#include <slurm/spank.h>
}

namespace lockstep::spank
{

namespace
{

const NodeConfig &requireThisNode(const RigConfig &rig)
{
    if (const NodeConfig *node = findThisNode(rig))
        return *node;
    throw InputError("--lockstep: this node (" + thisHostName() + ") is not in rig file " +
                     rig.path);
}

} // namespace

std::string thisHostName()
{
    char buf[256] = {};
    if (gethostname(buf, sizeof(buf) - 1) != 0)
        throw RunError("gethostname failed");
    return buf;
}

StepReservation::StepReservation(const PluginArgs &args, const DeviceRequest &request,
                                 const StepIdentity &step)
    : rig_(loadTrustedRig(args.rig)), node_(&requireThisNode(rig_)),
      devices_(selectDevices(request, rig_, *node_)), step_(step)
{
    for (const Device &device : devices_)
        if (device.kind == DeviceKind::Motor)
            motors_.push_back(device.name);
    if (devices_.empty())
        return;
    dir_ = std::make_unique<LockDir>(args.lockDir);
    safety_ = std::make_unique<NodeSafety>(
        rig_, *node_, *dir_, step.slurmNode.empty() ? node_->hostname : step.slurmNode);
    try {
        lockDevices(step, args);
        grantAccess(step.uid, args);
    } catch (...) {
        /* No task of ours ran: the devices are as their last holder left them. */
        access_.reset();
        for (const auto &lock : locks_)
            lock->markReleased();
        locks_.clear();
        throw;
    }
}

StepReservation::~StepReservation()
{
    release();
}

void StepReservation::lockDevices(const StepIdentity &step, const PluginArgs &args)
{
    /* Devices come in rig-file order, so two steps on one node never wait for each other. */
    const LockHolder self{step.jobId, step.stepId, step.user, false};
    const std::chrono::seconds waitLimit(args.waitTimeoutSeconds);
    for (const Device &device : devices_) {
        if (args.conflict == Conflict::Wait)
            slurm_info("lockstep: job %u waits up to %u s for %s if it is in use", step.jobId,
                       args.waitTimeoutSeconds, device.name.c_str());
        auto lock = std::make_unique<DeviceLock>(*dir_, node_->hostname, device.name, self,
                                                 args.conflict, waitLimit);
        const bool died = lock->previousHolderDied();
        const unsigned lastJob = lock->previousHolder().jobId;
        locks_.push_back(std::move(lock));
        safety_->refuseIfUnsafe(device);
        if (died) {
            /* Its slurmstepd was killed (or it could not make it safe): nobody drove the motor
             * safe or took access back. Do it before handing the device over. */
            slurm_info("lockstep: %s on %s: job %u ended without releasing it: securing it "
                       "before job %u gets it",
                       device.name.c_str(), node_->hostname.c_str(), lastJob, step.jobId);
            if (!safety_->secure(device, lastJob, "left behind by job " + std::to_string(lastJob),
                                 NodeSafety::Leftover::Orphan))
                throw RunError(device.name + " on " + node_->hostname +
                               " could not be made safe after job " + std::to_string(lastJob) +
                               ": it is marked unsafe and the node drained");
        }
    }
}

void StepReservation::grantAccess(uid_t uid, const PluginArgs &args)
{
    if (uid == 0)
        return;
    bool realMotor = false;
    bool realCamera = false;
    for (const Device &device : devices_) {
        realMotor |= device.motor && device.motor->backend == Backend::Real;
        realCamera |= device.camera && device.camera->backend == Backend::Real;
    }
    if (!realMotor && !realCamera)
        return;
    access_ = std::make_unique<DeviceAccess>(logToSlurmd, dir_->fd());
    const std::chrono::seconds waitLimit(args.waitTimeoutSeconds);
    if (realMotor)
        access_->grant(findHeaderChip(node_->gpioChip), {"gpio"}, uid, args.conflict, waitLimit);
    if (realCamera)
        for (const std::string &path : cameraDeviceNodes())
            access_->grant(path, {"video4linux", "media"}, uid, args.conflict, waitLimit);
}

void logToSlurmd(bool error, const std::string &message)
{
    if (error)
        slurm_error("lockstep: %s", message.c_str());
    else
        slurm_info("lockstep: %s", message.c_str());
}

void StepReservation::makeMotorsSafe() const noexcept
{
    if (motors_.empty())
        return;
    for (const SafeStateResult &result : driveMotorsSafeChecked(rig_, *node_, motors_)) {
        if (result.safe)
            slurm_info("lockstep: %s", result.message.c_str());
        else
            slurm_error("lockstep: %s", result.message.c_str());
    }
}

void StepReservation::release() noexcept
{
    if (locks_.empty())
        return;
    std::vector<bool> safe;
    const std::string when =
        "end of job " + std::to_string(step_.jobId) + " step " + std::to_string(step_.stepId);
    for (size_t i = 0; i < locks_.size(); ++i)
        safe.push_back(safety_->secure(devices_[i], step_.jobId, step_.stepId, when,
                                       NodeSafety::Leftover::Unsafe));
    access_.reset();
    /* A device marked unsafe counts as dealt with: the mark refuses it until an administrator
     * removes it. Only one whose state is unknown (not even the mark could be written) is
     * left for the next holder to check. */
    for (size_t i = 0; i < locks_.size(); ++i)
        if (safe[i] || safety_->markedUnsafe(devices_[i]))
            locks_[i]->markReleased();
    locks_.clear();
}

std::string StepReservation::deviceList() const
{
    std::string list;
    for (const Device &device : devices_)
        list += (list.empty() ? "" : ",") + device.name;
    return list;
}

} // namespace lockstep::spank
