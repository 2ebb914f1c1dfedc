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

const NodeConfig &findThisNode(const RigConfig &rig)
{
    const std::string host = thisHostName();
    if (const NodeConfig *node = rig.findNode(host))
        return *node;
    const std::string shortName = host.substr(0, host.find('.'));
    if (const NodeConfig *node = rig.findNode(shortName))
        return *node;
    throw InputError("--lockstep: this node (" + host + ") is not in rig file " + rig.path);
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
    : rig_(loadRig(args.rig)), node_(&findThisNode(rig_)),
      devices_(selectDevices(request, rig_, *node_))
{
    for (const Device &device : devices_)
        if (device.kind == DeviceKind::Motor)
            motors_.push_back(device.name);
    if (devices_.empty())
        return;
    const LockDir dir(args.lockDir);
    lockDevices(dir, step, args);
    grantAccess(dir, step.uid);
}

StepReservation::~StepReservation()
{
    makeMotorsSafe();
    /* access_ and locks_ are released by their destructors, in that order. */
}

void StepReservation::lockDevices(const LockDir &dir, const StepIdentity &step,
                                  const PluginArgs &args)
{
    /* Devices come in rig-file order, so two steps on one node never wait for each other. */
    const LockHolder self{step.jobId, step.stepId, step.user};
    const std::chrono::seconds waitLimit(args.waitTimeoutSeconds);
    for (const Device &device : devices_) {
        if (args.conflict == Conflict::Wait)
            slurm_info("lockstep: job %u waits up to %u s for %s if it is in use", step.jobId,
                       args.waitTimeoutSeconds, device.name.c_str());
        locks_.push_back(std::make_unique<DeviceLock>(dir, node_->hostname, device.name, self,
                                                      args.conflict, waitLimit));
    }
}

void StepReservation::grantAccess(const LockDir &dir, uid_t uid)
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
    access_ = std::make_unique<DeviceAccess>(logToSlurmd, dir.fd());
    if (realMotor)
        access_->grant(findHeaderChip(node_->gpioChip), uid);
    if (realCamera)
        for (const std::string &path : cameraDeviceNodes())
            access_->grant(path, uid);
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
    for (const std::string &message : driveMotorsSafe(rig_, *node_, motors_))
        slurm_info("lockstep: %s", message.c_str());
}

std::string StepReservation::deviceList() const
{
    std::string list;
    for (const Device &device : devices_)
        list += (list.empty() ? "" : ",") + device.name;
    return list;
}

} // namespace lockstep::spank
