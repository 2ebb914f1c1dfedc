#include "node_safety.h"

#include <algorithm>
#include <string>
#include <vector>

#include "device_access.h"
#include "device_holders.h"
#include "gpio/gpio_lines.h"
#include "gpio/open_gpio.h"
#include "gpio/sim_gpio.h"
#include "node_drain.h"
#include "root_file.h"
#include "step_lines.h"
#include "step_reservation.h"
#include "unsafe_mark.h"
#include "util/errors.h"

extern "C" {
#include <slurm/spank.h>
}

namespace lockstep::spank
{

namespace
{

/* One holder of a device after killHolders(): the log line said of it, and whether it lives. */
struct KilledHolder {
    std::string what;
    bool stays;
};

/* Kills the holders and logs each at error level: "<holder> of job J<held> (<when>): killed". */
std::vector<KilledHolder> killAndLog(const std::vector<DeviceHolder> &holders, unsigned jobId,
                                     const std::string &held, const std::string &when)
{
    const std::vector<DeviceHolder> left = killHolders(holders);
    std::vector<KilledHolder> result;
    for (const DeviceHolder &holder : holders) {
        const bool stays =
            std::any_of(left.begin(), left.end(), [&](auto &l) { return l.pid == holder.pid; });
        std::string what = holder.str() + " of job " + std::to_string(jobId) + held + " (" + when +
                           "): " + (stays ? "it could not be killed" : "killed");
        slurm_error("lockstep: %s", what.c_str());
        result.push_back({std::move(what), stays});
    }
    return result;
}

/* The files a device's users hold open: the GPIO chip or simulated line state of a motor, the
 * media and video nodes of a real camera. */
std::vector<std::string> deviceFiles(const RigConfig &rig, const NodeConfig &node,
                                     const Device &device)
{
    if (device.motor && device.motor->backend == Backend::Sim)
        return {simLinesPath(rig.simDir, node.hostname)};
    if (device.motor) {
        try {
            return {findHeaderChip(node.gpioChip)};
        } catch (const std::exception &) {
            return {}; /* no chip: nobody can hold it */
        }
    }
    if (device.camera && device.camera->backend == Backend::Real)
        return cameraDeviceNodes();
    return {};
}

/* Drives one motor's ENABLE inactive: a real one by requesting the line anew on the checked chip
 * (the plugin's own uAPI path, not libgpiod: the chip is checked before root sends it an
 * ioctl), a simulated one in the shared simulated state. */
std::vector<SafeStateResult> driveMotorSafe(const RigConfig &rig, const NodeConfig &node,
                                            const std::string &name)
{
    const MotorConfig *motor = node.findMotor(name);
    if (!motor || motor->backend != Backend::Real)
        return driveMotorsSafeChecked(rig, node, {name});
    const std::string what =
        "motor " + name + ": ENABLE (GPIO " + std::to_string(motor->enable.offset) + ") ";
    try {
        requestEnableInactive(node, *motor);
        return {{name, true,
                 what + "driven inactive (level " + (motor->enable.activeLow ? "1" : "0") + ")"}};
    } catch (const std::exception &e) {
        return {{name, false, what + "could not be driven inactive: " + e.what()}};
    }
}

} // namespace

NodeSafety::NodeSafety(const RigConfig &rig, const NodeConfig &node, const LockDir &dir,
                       std::string slurmNode)
    : rig_(rig), node_(node), dir_(dir), slurmNode_(std::move(slurmNode))
{
}

bool NodeSafety::secure(const Device &device, unsigned jobId, const std::string &when,
                        Leftover leftover) noexcept
{
    return secure(device, jobId, kAnyStep, when, leftover);
}

bool NodeSafety::secure(const Device &device, unsigned jobId, long stepId, const std::string &when,
                        Leftover leftover) noexcept
{
    try {
        std::string problems;
        if (jobId != 0) {
            std::vector<std::string> files = deviceFiles(rig_, node_, device);
            /* A real motor's lines are held through the step's line request (step_lines.h): at
             * a step's end secureLineRequest() finds its holders by the step's own descriptor;
             * after the step's slurmstepd died, what is left of that step is an orphan. */
            const bool orphans = leftover == Leftover::Orphan && device.motor &&
                                 device.motor->backend == Backend::Real;
            if (orphans)
                files.emplace_back();
            for (const std::string &file : files) {
                const std::vector<DeviceHolder> holders = file.empty()
                                                              ? findJobProcesses(jobId, stepId)
                                                              : findJobHolders(file, jobId, stepId);
                if (holders.empty())
                    continue;
                const std::string held = file.empty() ? " was left running" : " still held " + file;
                for (const KilledHolder &k : killAndLog(holders, jobId, held, when))
                    if (k.stays || leftover == Leftover::Unsafe)
                        problems += (problems.empty() ? "" : "; ") + k.what;
            }
        }
        if (device.motor) {
            for (const SafeStateResult &result : driveMotorSafe(rig_, node_, device.name)) {
                if (result.safe) {
                    slurm_info("lockstep: %s", result.message.c_str());
                } else {
                    slurm_error("lockstep: %s (%s)", result.message.c_str(), when.c_str());
                    problems += (problems.empty() ? "" : "; ") + result.message;
                }
            }
        }
        if (problems.empty())
            return true;
        declareUnsafe(device, problems);
    } catch (const std::exception &e) {
        declareUnsafe(device, std::string("checking it failed: ") + e.what());
    }
    return false;
}

bool NodeSafety::secureLineRequest(const std::vector<Device> &motors, const std::vector<int> &fds,
                                   unsigned jobId, long stepId, const std::string &when) noexcept
{
    try {
        std::string problems;
        for (int fd : fds) {
            const std::vector<DeviceHolder> holders = findJobHoldersOfFd(fd, jobId, stepId);
            if (holders.empty())
                continue;
            for (const KilledHolder &k :
                 killAndLog(holders, jobId, " still held the step's GPIO line request", when))
                problems += (problems.empty() ? "" : "; ") + k.what;
        }
        if (problems.empty())
            return true;
        for (const Device &motor : motors)
            declareUnsafe(motor, problems);
    } catch (const std::exception &e) {
        for (const Device &motor : motors)
            declareUnsafe(motor, std::string("checking it failed: ") + e.what());
    }
    return false;
}

void NodeSafety::declareUnsafe(const Device &device, const std::string &reason) noexcept
{
    try {
        slurm_error("lockstep: %s on %s is marked unsafe: %s", device.name.c_str(),
                    node_.hostname.c_str(), reason.c_str());
        try {
            markUnsafe(dir_.fd(), node_.hostname, device.name, reason);
        } catch (const std::exception &e) {
            slurm_error("lockstep: %s", e.what());
        }
        const std::string drained =
            drainNode(slurmNode_, device.name + " marked unsafe, see " + dir_.path() + "/" +
                                      unsafeMarkName(node_.hostname, device.name));
        slurm_error("lockstep: %s", drained.c_str());
    } catch (...) {
        /* Logging failed (no memory): the mark and the drain were tried first. */
    }
}

bool NodeSafety::markedUnsafe(const Device &device) const
{
    return unsafeReason(dir_.fd(), node_.hostname, device.name).has_value();
}

void NodeSafety::refuseIfUnsafe(const Device &device) const
{
    const auto reason = unsafeReason(dir_.fd(), node_.hostname, device.name);
    if (!reason)
        return;
    throw RunError(device.name + " on " + node_.hostname + " is marked unsafe (" + *reason +
                   "). An administrator checks the hardware, then removes " + dir_.path() + "/" +
                   unsafeMarkName(node_.hostname, device.name) + " and resumes the node");
}

RigConfig loadTrustedRig(const std::string &path)
{
    checkRootConfigFile(path, "rig file");
    return loadRig(path);
}

const NodeConfig *findThisNode(const RigConfig &rig)
{
    const std::string host = thisHostName();
    if (const NodeConfig *node = rig.findNode(host))
        return node;
    return rig.findNode(host.substr(0, host.find('.')));
}

void recoverNode(const PluginArgs &args, unsigned jobId, const std::string &slurmNode)
{
    const RigConfig rig = loadTrustedRig(args.rig);
    const NodeConfig *node = findThisNode(rig);
    if (!node)
        return;
    DeviceRequest everything;
    everything.allMotors = everything.allCameras = true;
    const std::vector<Device> devices = selectDevices(everything, rig, *node);
    if (devices.empty())
        return;
    const LockDir dir(args.lockDir);
    NodeSafety safety(rig, *node, dir, slurmNode);
    const LockHolder self{jobId, 0, "slurmd", false};
    for (const Device &device : devices) {
        std::unique_ptr<DeviceLock> lock;
        try {
            lock = std::make_unique<DeviceLock>(dir, node->hostname, device.name, self,
                                                Conflict::Refuse);
        } catch (const DeviceInUse &) {
            continue; /* a live step has it: its own release takes care of it */
        }
        bool safe = true;
        if (lock->previousHolderDied()) {
            const LockHolder &last = lock->previousHolder();
            slurm_info("lockstep: %s on %s: job %u ended without releasing it: securing it",
                       device.name.c_str(), node->hostname.c_str(), last.jobId);
            safe = safety.secure(device, last.jobId, last.stepId,
                                 "left behind by job " + std::to_string(last.jobId),
                                 NodeSafety::Leftover::Orphan);
        }
        /* Safe, or marked unsafe: either way no one needs to check it again until an
         * administrator has removed the mark (which says the hardware was checked). */
        if (safe || safety.markedUnsafe(device))
            lock->markReleased();
    }
    sweepStaleGrants(dir.fd(), logToSlurmd);
}

} // namespace lockstep::spank
