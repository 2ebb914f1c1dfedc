#include "gpio/open_gpio.h"

#include <algorithm>

#include "gpio/inherited_gpio.h"
#include "gpio/motor_lines.h"
#include "gpio/sim_gpio.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

uint8_t inactiveLevel(const LineConfig &line)
{
    return line.activeLow ? 1 : 0;
}

std::vector<const MotorConfig *> findMotors(const NodeConfig &node,
                                            const std::vector<std::string> &motors)
{
    if (motors.empty())
        throw InputError("no motors named for node " + node.hostname);
    std::vector<const MotorConfig *> configs;
    for (const std::string &name : motors) {
        const MotorConfig *motor = node.findMotor(name);
        if (!motor)
            throw InputError("node " + node.hostname + " has no motor " + name);
        configs.push_back(motor);
    }
    const std::vector<std::size_t> mixed = mixedBackends(configs);
    if (!mixed.empty())
        throw InputError("motors " + configs.front()->name + " and " +
                         configs[mixed.front()]->name +
                         " use different GPIO backends: open them separately");
    return configs;
}

/* Adds an output once: motors may share a line (a common ENABLE), but only at one level. */
void addOutput(LineRequest &request, const std::string &motor, const LineConfig &line)
{
    const auto it = std::find(request.outputs.begin(), request.outputs.end(), line.offset);
    if (it == request.outputs.end()) {
        request.outputs.push_back(line.offset);
        request.initialLevels.push_back(inactiveLevel(line));
        request.outputBias.push_back(line.bias);
    } else if (request.initialLevels[it - request.outputs.begin()] != inactiveLevel(line)) {
        throw InputError("motor " + motor + ": GPIO " + std::to_string(line.offset) +
                         " is shared with another motor at the opposite polarity");
    }
}

LineRequest motorRequest(const std::vector<const MotorConfig *> &motors,
                         const std::string &consumer)
{
    LineRequest request;
    request.consumer = consumer;
    for (const MotorConfig *motor : motors) {
        addOutput(request, motor->name, motor->step);
        addOutput(request, motor->name, motor->dir);
        addOutput(request, motor->name, motor->enable);
        if (motor->endstop) {
            request.inputs.push_back(motor->endstop->offset);
            request.inputBias.push_back(motor->endstop->bias);
        }
    }
    return request;
}

SimDriver simDriver(const MotorConfig &motor, int64_t initialStep)
{
    SimDriver driver;
    driver.motor = motor.name;
    driver.lines = motorLinesOf(motor);
    if (motor.endstop) {
        driver.endstop = motor.endstop->offset;
        driver.endstopActiveLow = motor.endstop->activeLow;
    }
    driver.endstopStep = motor.stepForPosition(motor.simEndstopAt);
    driver.homingDirection = motor.homingDirection;
    driver.initialStep = initialStep;
    return driver;
}

} // namespace

LineRequest motorLineRequest(const NodeConfig &node, const std::vector<std::string> &motors,
                             const std::string &consumer)
{
    return motorRequest(findMotors(node, motors), consumer);
}

std::unique_ptr<GpioLines> openMotorLines(const RigConfig &rig, const NodeConfig &node,
                                          const std::vector<std::string> &motors,
                                          const std::vector<int64_t> &initialSteps,
                                          const std::string &consumer)
{
    const std::vector<const MotorConfig *> configs = findMotors(node, motors);
    const LineRequest request = motorRequest(configs, consumer);
    if (configs.front()->backend == Backend::Real) {
        /* Under Slurm the plugin requested the step's lines and this task inherited them: it
         * has no access to the chip, and needs none. */
        if (const std::vector<UapiRequest> *inherited = inheritedGpioRequests())
            return openUapiLines(*inherited, request);
        return openGpiodLines(node.gpioChip, request);
    }

    if (initialSteps.size() != configs.size())
        throw RunError("openMotorLines: " + std::to_string(initialSteps.size()) +
                       " initial steps for " + std::to_string(configs.size()) + " motors");
    std::vector<SimDriver> drivers;
    for (size_t i = 0; i < configs.size(); ++i)
        drivers.push_back(simDriver(*configs[i], initialSteps[i]));
    return std::make_unique<SimGpio>(rig.simDir, node.hostname, std::move(drivers), request);
}

std::vector<SafeStateResult> driveMotorsSafeChecked(const RigConfig &rig, const NodeConfig &node,
                                                    const std::vector<std::string> &motors) noexcept
{
    std::vector<SafeStateResult> results;
    try {
        for (const std::string &name : motors) {
            const MotorConfig *motor = node.findMotor(name);
            if (!motor) {
                results.push_back(
                    {name, false, "motor " + name + ": not on node " + node.hostname});
                continue;
            }
            const unsigned offset = motor->enable.offset;
            const uint8_t level = inactiveLevel(motor->enable);
            const std::string what =
                "motor " + name + ": ENABLE (GPIO " + std::to_string(offset) + ") ";
            try {
                if (motor->backend == Backend::Real) {
                    LineRequest request;
                    request.consumer = "lockstep-safe";
                    request.outputs = {offset};
                    request.initialLevels = {level};
                    /* Its pull holds the driver off once released (Pi 0-4: an input). */
                    request.outputBias = {motor->enable.bias};
                    /* Released at once. The line may then revert to an input (a Pi 0-4's pin
                     * controller does): the bias set here holds the driver off. */
                    openGpiodLines(node.gpioChip, request);
                } else if (readSimLine(rig.simDir, node.hostname, offset) < 0) {
                    results.push_back(
                        {name, true, what + "never driven (no simulated GPIO state)"});
                    continue;
                } else {
                    writeSimLine(rig.simDir, node.hostname, offset, level);
                }
                results.push_back(
                    {name, true, what + "driven inactive (level " + std::to_string(level) + ")"});
            } catch (const std::exception &e) {
                results.push_back(
                    {name, false, what + "could not be driven inactive: " + e.what()});
            }
        }
    } catch (...) {
        /* Only allocation can fail here; the results gathered so far are still worth having. */
    }
    return results;
}

std::vector<std::string> driveMotorsSafe(const RigConfig &rig, const NodeConfig &node,
                                         const std::vector<std::string> &motors) noexcept
{
    std::vector<std::string> messages;
    try {
        for (const SafeStateResult &result : driveMotorsSafeChecked(rig, node, motors))
            messages.push_back(result.message);
    } catch (...) {
        /* Only allocation can fail here. */
    }
    return messages;
}

} // namespace lockstep
