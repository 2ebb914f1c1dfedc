#include "step_reservation.h"

#include <unistd.h>

#include "gpio/gpio_lines.h"
#include "gpio/open_gpio.h"
#include "job_gres_query.h"
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
    if (gresTieEnabled(args)) {
        /* Before anything is locked: a job the scheduler did not give these devices must not
         * even hold them up for the job it did. */
        const std::string slurmNode = step.slurmNode.empty() ? node_->hostname : step.slurmNode;
        const std::string missing =
            missingGres(request, devices_, jobGresOnNode(step.jobId, slurmNode, thisHostName()),
                        args, slurmNode);
        if (!missing.empty())
            throw InputError(missing);
    }
    dir_ = std::make_unique<LockDir>(args.lockDir);
    safety_ = std::make_unique<NodeSafety>(
        rig_, *node_, *dir_, step.slurmNode.empty() ? node_->hostname : step.slurmNode);
    try {
        lockDevices(step, args);
        requestLines(step);
        grantAccess(step.uid, args);
    } catch (...) {
        /* No task of ours ran: the devices are as their last holder left them. */
        access_.reset();
        lines_.reset();
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
        /* Only a step that really waits says so: the administrator looking at a slow start. */
        const auto onWait = [&](const std::string &holder) {
            slurm_info("lockstep: job %u step %u waits for %s on %s, in use by %s, at most %u s "
                       "(conflict=wait)",
                       step.jobId, step.stepId, device.name.c_str(), node_->hostname.c_str(),
                       holder.c_str(), args.waitTimeoutSeconds);
        };
        auto lock = std::make_unique<DeviceLock>(*dir_, node_->hostname, device.name, self,
                                                 args.conflict, waitLimit, onWait);
        const bool died = lock->previousHolderDied();
        const unsigned lastJob = lock->previousHolder().jobId;
        const unsigned lastStep = lock->previousHolder().stepId;
        locks_.push_back(std::move(lock));
        safety_->refuseIfUnsafe(device);
        if (died) {
            /* Its slurmstepd was killed (or it could not make it safe): nobody drove the motor
             * safe or took access back. Do it before handing the device over. */
            slurm_info("lockstep: %s on %s: job %u ended without releasing it: securing it "
                       "before job %u gets it",
                       device.name.c_str(), node_->hostname.c_str(), lastJob, step.jobId);
            if (!safety_->secure(device, lastJob, lastStep,
                                 "left behind by job " + std::to_string(lastJob),
                                 NodeSafety::Leftover::Orphan))
                throw RunError(device.name + " on " + node_->hostname +
                               " could not be made safe after job " + std::to_string(lastJob) +
                               ": it is marked unsafe and the node drained");
        }
    }
}

void StepReservation::requestLines(const StepIdentity &step)
{
    /* The motors' lines, not the chip: the user never gets access to the chip itself. Held from
     * here to the end of the step, so no one else can request them meanwhile, and the step
     * drives ENABLE safe through its own request whatever its tasks do. */
    std::vector<std::string> real;
    for (const Device &device : devices_)
        if (device.motor && device.motor->backend == Backend::Real)
            real.push_back(device.name);
    if (real.empty())
        return;
    lines_ = std::make_unique<StepLines>(*node_, real, step.jobId);
    slurm_info("lockstep: job %u step %u holds GPIO lines %s", step.jobId, step.stepId,
               lines_->environment().c_str());
}

void StepReservation::grantAccess(uid_t uid, const PluginArgs &args)
{
    /* Cameras only: libcamera opens the media and video nodes itself, so they cannot be
     * handed over as open descriptors. */
    if (uid == 0)
        return;
    bool realCamera = false;
    for (const Device &device : devices_)
        realCamera |= device.camera && device.camera->backend == Backend::Real;
    if (!realCamera)
        return;
    access_ = std::make_unique<DeviceAccess>(logToSlurmd, dir_->fd());
    const std::chrono::seconds waitLimit(args.waitTimeoutSeconds);
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
    try {
        if (lines_)
            for (const StepLines::Result &result : lines_->driveEnablesInactive())
                logToSlurmd(!result.safe, result.message);
        std::vector<std::string> sim;
        for (const std::string &name : motors_)
            if (const MotorConfig *motor = node_->findMotor(name);
                motor && motor->backend == Backend::Sim)
                sim.push_back(name);
        if (!sim.empty())
            for (const SafeStateResult &result : driveMotorsSafeChecked(rig_, *node_, sim))
                logToSlurmd(!result.safe, result.message);
    } catch (...) {
        /* Only allocation can fail here; release() tries again. */
    }
}

void StepReservation::release() noexcept
{
    if (locks_.empty())
        return;
    std::vector<bool> safe;
    const std::string when =
        "end of job " + std::to_string(step_.jobId) + " step " + std::to_string(step_.stepId);
    bool requestSafe = true;
    if (lines_) {
        /* Processes of the step still holding its line request escaped it; then ENABLE through
         * the step's own request, and the lines are let go so that secure() below can request
         * them anew: which also proves that no one holds them any more. */
        std::vector<Device> real;
        for (const Device &device : devices_)
            if (device.motor && device.motor->backend == Backend::Real)
                real.push_back(device);
        requestSafe = safety_->secureLineRequest(real, lines_->descriptors(), step_.jobId,
                                                 step_.stepId, when);
        makeMotorsSafe();
        lines_.reset();
    }
    for (size_t i = 0; i < locks_.size(); ++i) {
        const bool secured = safety_->secure(devices_[i], step_.jobId, step_.stepId, when,
                                             NodeSafety::Leftover::Unsafe);
        const bool real = devices_[i].motor && devices_[i].motor->backend == Backend::Real;
        safe.push_back(secured && (requestSafe || !real));
    }
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
