#include "step_lines.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>

#include "device_node.h"
#include "gpio/gpio_lines.h"
#include "gpio/inherited_gpio.h"
#include "gpio/open_gpio.h"
#include "util/errors.h"

namespace lockstep::spank
{

namespace
{

uint8_t inactiveLevel(const LineConfig &line)
{
    return line.activeLow ? 1 : 0;
}

} // namespace

UniqueFd openCheckedGpioChip(const std::string &chipSpec)
{
    const DeviceNode node(findHeaderChip(chipSpec), {"gpio"});
    /* Reopened through the checked O_PATH descriptor: the node itself, not what the path names
     * by now. */
    UniqueFd chip(open(node.procPath().c_str(), O_RDWR | O_CLOEXEC));
    if (!chip.valid())
        throw RunError("cannot open GPIO chip " + node.path() + ": " + std::strerror(errno));
    return chip;
}

StepLines::StepLines(const NodeConfig &node, const std::vector<std::string> &motors, unsigned jobId)
    : node_(node), motors_(motors)
{
    const LineRequest request =
        motorLineRequest(node, motors, "lockstep-job" + std::to_string(jobId));
    const UniqueFd chip = openCheckedGpioChip(node.gpioChip);
    requests_ = requestUapiLines(chip.get(), request);
}

void StepLines::inheritAcrossExec() const
{
    for (const UapiRequest &request : requests_) {
        const int flags = fcntl(request.fd.get(), F_GETFD);
        if (flags < 0 || fcntl(request.fd.get(), F_SETFD, flags & ~FD_CLOEXEC) < 0)
            throw RunError("cannot hand GPIO line request " + std::to_string(request.fd.get()) +
                           " to the task: " + std::strerror(errno));
    }
}

std::string StepLines::environment() const
{
    return describeInheritedGpio(requests_);
}

std::vector<int> StepLines::descriptors() const
{
    std::vector<int> fds;
    for (const UapiRequest &request : requests_)
        fds.push_back(request.fd.get());
    return fds;
}

std::vector<StepLines::Result> StepLines::driveEnablesInactive() const noexcept
{
    std::vector<Result> results;
    try {
        for (const std::string &name : motors_) {
            const MotorConfig *motor = node_.findMotor(name);
            if (!motor)
                continue;
            const std::string what =
                "motor " + name + ": ENABLE (GPIO " + std::to_string(motor->enable.offset) + ") ";
            try {
                LineRequest enable;
                enable.outputs = {motor->enable.offset};
                enable.initialLevels = {inactiveLevel(motor->enable)};
                /* Setting the initial level is the whole point; the duplicate goes at once. */
                openUapiLines(requests_, enable);
                results.push_back({name, true,
                                   what + "driven inactive (level " +
                                       std::to_string(enable.initialLevels[0]) +
                                       ") through the step's line request"});
            } catch (const std::exception &e) {
                results.push_back(
                    {name, false, what + "could not be driven inactive: " + e.what()});
            }
        }
    } catch (...) {
        /* Only allocation can fail here. */
    }
    return results;
}

void requestEnableInactive(const NodeConfig &node, const MotorConfig &motor)
{
    LineRequest request;
    request.consumer = "lockstep-safe";
    request.outputs = {motor.enable.offset};
    request.initialLevels = {inactiveLevel(motor.enable)};
    const UniqueFd chip = openCheckedGpioChip(node.gpioChip);
    requestUapiLines(chip.get(), request); /* released at once */
}

} // namespace lockstep::spank
