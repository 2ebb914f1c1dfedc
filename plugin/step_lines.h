/* The GPIO lines of a step's real motors, requested by the plugin itself, as root, in
 * slurmstepd, for the step's whole life: every task inherits the request descriptors across exec
 * (named in LOCKSTEP_GPIO_FD, see gpio/inherited_gpio.h), so a task can drive exactly these
 * lines; it gets no access to the chip, and while the step holds the request the kernel refuses
 * the lines to everyone else (EBUSY). slurmstepd keeps its own descriptors, through which the
 * plugin drives ENABLE inactive when a task ends, whatever the task did. */
#pragma once

#include <string>
#include <vector>

#include "config/rig.h"
#include "gpio/uapi_lines.h"
#include "util/unique_fd.h"

namespace lockstep::spank
{

/* Opens the node's GPIO chip (rig `gpio_chip`, or found by label) for a request as root: the
 * node is opened without following a symlink and must be a character device of the kernel's
 * gpio subsystem (by /sys/dev/char), so a rig naming /dev/mem or /dev/null gets no ioctl sent to
 * it. Throws RunError. */
UniqueFd openCheckedGpioChip(const std::string &chipSpec);

class StepLines
{
public:
    /* Requests the lines of `motors` (all real, on `node`) with consumer "lockstep-job<N>".
     * Throws RunError (EBUSY: someone else holds a line) or InputError. */
    StepLines(const NodeConfig &node, const std::vector<std::string> &motors, unsigned jobId);

    /* In a forked task, before exec: keeps the descriptors open across exec. Throws RunError. */
    void inheritAcrossExec() const;
    /* LOCKSTEP_GPIO_FD's value for the tasks. */
    std::string environment() const;
    /* Drives ENABLE of every motor inactive through the step's own request. One message per
     * motor; `safe` false where it failed. */
    struct Result {
        std::string motor;
        bool safe = false;
        std::string message;
    };
    std::vector<Result> driveEnablesInactive() const noexcept;
    /* The request descriptors (to find processes that still hold them). */
    std::vector<int> descriptors() const;

private:
    const NodeConfig &node_;
    std::vector<std::string> motors_;
    std::vector<UapiRequest> requests_;
};

/* Drives a real motor's ENABLE inactive by requesting that one line anew on the checked chip and
 * letting it go (the kernel keeps a released output at its level on Raspberry Pi OS). Fails with
 * EBUSY while anyone still holds the line. Throws RunError. */
void requestEnableInactive(const NodeConfig &node, const MotorConfig &motor);

} // namespace lockstep::spank
