/* Opens a node's GPIO lines with the backend its rig entry names, and puts motors into their
 * safe state from any process. */
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/rig.h"
#include "gpio/gpio_lines.h"

namespace lockstep
{

/* The lines of the named motors (STEP, DIR, ENABLE outputs with ENABLE inactive and STEP
 * inactive initially; endstops as inputs). All named motors must share one backend. Real
 * motors: the line requests this process inherited (LOCKSTEP_GPIO_FD, gpio/inherited_gpio.h)
 * if it has any, where only their lines can be driven; otherwise the chip, through libgpiod.
 * initialSteps gives the sim drivers' starting positions (same order as motors). */
std::unique_ptr<GpioLines> openMotorLines(const RigConfig &rig, const NodeConfig &node,
                                          const std::vector<std::string> &motors,
                                          const std::vector<int64_t> &initialSteps,
                                          const std::string &consumer);

/* The line request openMotorLines makes for these motors (real or sim): STEP, DIR, ENABLE of each
 * as outputs at their inactive levels (a line shared by two motors once), endstops as inputs.
 * What lockstep's SPANK plugin requests for a job step. Throws InputError. */
LineRequest motorLineRequest(const NodeConfig &node, const std::vector<std::string> &motors,
                             const std::string &consumer);

/* Drives the ENABLE line of each named motor to inactive, requesting it anew (real) or writing
 * the shared state file (sim). Used after the owning process died (SPANK task_exit). Returns a
 * message per motor for the log; throws nothing. */
std::vector<std::string> driveMotorsSafe(const RigConfig &rig, const NodeConfig &node,
                                         const std::vector<std::string> &motors) noexcept;

/* What driving one motor's ENABLE inactive came to. */
struct SafeStateResult {
    std::string motor;
    bool safe = false;   /* ENABLE is at its inactive level (or a sim line was never driven) */
    std::string message; /* for the log */
};

/* driveMotorsSafe, saying for each motor whether it worked: a caller that hands the motor to
 * someone else must not do so when it did not. Throws nothing. */
std::vector<SafeStateResult>
driveMotorsSafeChecked(const RigConfig &rig, const NodeConfig &node,
                       const std::vector<std::string> &motors) noexcept;

} // namespace lockstep
