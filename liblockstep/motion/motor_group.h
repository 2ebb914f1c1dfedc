/* The motors of one node as the launcher sees them: positions in units, moves to absolute
 * targets, homing, and the promise that ENABLE is released when the group is destroyed. */
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/plan.h"
#include "config/rig.h"
#include "motion/step_executor.h"

namespace lockstep
{

struct HomeReport {
    bool found = false;
    int64_t stepsTravelled = 0;
    std::string message;
};

/* The executor settings a rig file gives (step pulse, DIR and ENABLE set-up, lateness bound). */
ExecutorOptions executorOptionsFor(const RigConfig &rig);

/* Checks one move target and the plan's limits for it against the motor's configuration:
 * finite, inside the soft limits, speed and acceleration positive and not above the rig's.
 * Touches no hardware, so a command can refuse bad input before it opens any line; moveTo
 * makes the same checks. Returns the speed and acceleration to use. Throws InputError. */
struct CheckedLimits {
    double speed;
    double accel;
};
CheckedLimits checkMoveTarget(const MotorConfig &motor, double target,
                              const MotionOverride &limits = {});

/* Each motor's position in its units, in the order of MotorGroup::motors(), while it moves. */
using PositionObserver = std::function<void(const std::vector<double> &positions)>;

class MotorGroup
{
public:
    /* Opens the motors' lines (backend from the rig) and starts the executor. Positions start
     * from the position store (<simDir>/positions/ for sim motors, LOCKSTEP_STATE_DIR or
     * /var/lib/lockstep for real ones); a motor never homed starts at 0. */
    MotorGroup(const RigConfig &rig, const NodeConfig &node, std::vector<std::string> motors,
               ExecutorOptions options);
    ~MotorGroup();

    /* Absolute targets in units; motors not named stay. Validates against soft limits and
     * speeds (throws InputError before anything moves). Keeps ENABLE asserted afterwards.
     * `observer`, if given, is called on this thread about ten times a second while moving. */
    MoveReport moveTo(const std::map<std::string, double> &targets,
                      const std::map<std::string, MotionOverride> &overrides = {},
                      const std::atomic<bool> *stop = nullptr,
                      const PositionObserver &observer = {});
    /* How long each of a sequence of moveTo() calls would take, from the call to the last step,
     * starting where the motors are now: the planner's durations (deterministic, the same on
     * every machine) plus the executor's start delay; 0 for a target where no motor moves.
     * Validates like moveTo(); moves nothing. */
    std::vector<Nanoseconds>
    plannedDurations(const std::vector<std::map<std::string, double>> &targets,
                     const std::map<std::string, MotionOverride> &overrides = {}) const;
    /* Moves towards the endstop in the homing direction until it triggers, then zeroes. */
    HomeReport home(const std::string &motor, const std::atomic<bool> *stop = nullptr,
                    const PositionObserver &observer = {});
    /* ENABLE inactive on all motors (safe from any thread). */
    void release() noexcept;

    double position(const std::string &motor) const; /* units */
    int64_t stepPosition(const std::string &motor) const;
    const std::vector<std::string> &motors() const;
    const RealtimeStatus &realtimeStatus() const;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace lockstep
