/* lockstep move / lockstep home: one node's motors, from the command line. */
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <thread>

#include "commands/commands.h"
#include "commands/move_progress.h"
#include "config/rig.h"
#include "motion/motor_group.h"
#include "scan/node_identity.h"
#include "util/errors.h"
#include "util/signal_guard.h"

namespace lockstep
{

namespace
{

struct MoveArgs {
    std::string rig;
    std::string node;
    std::vector<std::string> targets; /* MOTOR=POSITION */
    double speed = 0;
    double accel = 0;
    bool hold = false;
};

const char *unitName(const MotorConfig &motor)
{
    return motor.units == Units::Degrees ? "deg" : "mm";
}

std::map<std::string, double> parseTargets(const std::vector<std::string> &args,
                                           const NodeConfig &node)
{
    std::map<std::string, double> targets;
    for (const std::string &arg : args) {
        const size_t eq = arg.find('=');
        if (eq == std::string::npos || eq == 0)
            throw InputError("'" + arg + "': expected MOTOR=POSITION, e.g. turntable=90");
        const std::string name = arg.substr(0, eq);
        if (!node.findMotor(name))
            throw InputError("node " + node.hostname + " has no motor '" + name + "'");
        size_t used = 0;
        double value = 0;
        try {
            value = std::stod(arg.substr(eq + 1), &used);
        } catch (const std::exception &) {
            used = 0;
        }
        if (used == 0 || used != arg.size() - eq - 1 || !std::isfinite(value))
            throw InputError("'" + arg + "': position is not a number");
        if (!targets.emplace(name, value).second)
            throw InputError("motor '" + name + "' is given twice");
    }
    return targets;
}

/* A move that did not finish: after a signal the status is 128+signal, as a shell expects. */
void stopped(const SignalGuard &signals, const std::string &why)
{
    if (signals.signalNumber() == 0)
        throw RunError(why);
    std::fprintf(stderr, "lockstep: %s\n", why.c_str());
    commandStatus() = 128 + signals.signalNumber();
}

void printRealtime(const RealtimeStatus &status)
{
    if (!status.warning.empty())
        std::fprintf(stderr, "lockstep: warning: %s\n", status.warning.c_str());
}

void printMoveSummary(const MotorGroup &group, const NodeConfig &node, const MoveReport &report)
{
    const double seconds = FloatSeconds(report.endMonotonic - report.startMonotonic).count();
    for (const std::string &name : group.motors()) {
        const MotorConfig &motor = *node.findMotor(name);
        std::printf("%s: at %.3f %s (step %lld)\n", name.c_str(), group.position(name),
                    unitName(motor), static_cast<long long>(group.stepPosition(name)));
    }
    std::printf("move: %s in %.3f s, %zu edges, worst edge %.1f us late\n",
                report.completed ? "completed" : "STOPPED", seconds, report.edges,
                std::chrono::duration<double, std::micro>(report.maxLateness).count());
}

void runMove(const MoveArgs &args)
{
    SignalGuard signals;
    const RigConfig rig = loadRig(args.rig);
    const NodeConfig &node = resolveNode(rig, args.node);
    const std::map<std::string, double> targets = parseTargets(args.targets, node);

    std::map<std::string, MotionOverride> overrides;
    std::vector<std::string> names;
    for (const auto &[name, target] : targets) {
        names.push_back(name);
        MotionOverride &o = overrides[name];
        if (args.speed > 0)
            o.maxSpeed = args.speed;
        if (args.accel > 0)
            o.maxAccel = args.accel;
    }

    /* Bad input is refused before any line is opened. */
    for (const auto &[name, target] : targets)
        checkMoveTarget(*node.findMotor(name), target, overrides[name]);

    MotorGroup group(rig, node, names, executorOptionsFor(rig));
    const ScopedEmergency emergency(signals, [&group] { group.release(); });
    printRealtime(group.realtimeStatus());
    std::vector<MoveProgress::Motor> shown;
    for (const std::string &name : group.motors()) {
        const char *unit = unitName(*node.findMotor(name));
        const double target = targets.at(name);
        std::printf("%s: %.3f -> %.3f %s\n", name.c_str(), group.position(name), target, unit);
        shown.push_back({name, unit, group.position(name), target});
    }
    std::fflush(stdout);
    MoveReport report;
    {
        MoveProgress progress(std::move(shown));
        report = group.moveTo(targets, overrides, &signals.stopRequested(), progress.observer());
    }
    if (!args.hold || !report.completed)
        group.release();
    printMoveSummary(group, node, report);
    if (!report.completed)
        stopped(signals, "move stopped: " + report.stopReason);
    if (!args.hold) {
        std::printf("enable: released\n");
        return;
    }
    /* Holding torque lasts as long as this process holds the lines: until Ctrl-C or SIGTERM
     * (exit status 128 + signal, as for an interrupted move). */
    std::printf("enable: held (--hold) until Ctrl-C or SIGTERM\n");
    std::fflush(stdout);
    while (!signals.stopRequested())
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    group.release();
    std::printf("enable: released\n");
    commandStatus() = 128 + signals.signalNumber();
}

void runHome(const MoveArgs &args, const std::string &motorName)
{
    SignalGuard signals;
    const RigConfig rig = loadRig(args.rig);
    const NodeConfig &node = resolveNode(rig, args.node);
    const MotorConfig *motor = node.findMotor(motorName);
    if (!motor)
        throw InputError("node " + node.hostname + " has no motor '" + motorName + "'");
    if (!motor->endstop)
        throw InputError("motor '" + motorName + "' has no endstop in " + rig.path +
                         "; it cannot be homed");

    MotorGroup group(rig, node, {motorName}, executorOptionsFor(rig));
    const ScopedEmergency emergency(signals, [&group] { group.release(); });
    printRealtime(group.realtimeStatus());
    std::printf("%s: homing towards the endstop (direction %+d)\n", motorName.c_str(),
                motor->homingDirection);
    std::fflush(stdout);
    HomeReport report;
    {
        MoveProgress progress({{motorName, unitName(*motor), group.position(motorName), {}}});
        report = group.home(motorName, &signals.stopRequested(), progress.observer());
    }
    group.release();
    std::printf("%s: %s after %lld steps; position is now %.3f %s; enable released\n",
                motorName.c_str(), report.found ? "endstop found" : "endstop NOT found",
                static_cast<long long>(report.stepsTravelled), group.position(motorName),
                unitName(*motor));
    if (!report.found)
        stopped(signals, "homing " + motorName + " failed: " + report.message);
}

} // namespace

void addMoveCommands(CLI::App &app)
{
    auto args = std::make_shared<MoveArgs>();
    auto *move = app.add_subcommand("move", "Move this node's motors to absolute positions");
    move->add_option("TARGET", args->targets, "MOTOR=POSITION in the motor's units")->required();
    move->add_option("--rig", args->rig, "rig file")->required();
    move->add_option("--node", args->node, "this node's name in the rig (default: hostname)");
    move->add_option("--speed", args->speed, "max speed, units/s (not above the rig's)");
    move->add_option("--accel", args->accel, "max acceleration, units/s^2 (not above the rig's)");
    move->add_flag("--hold", args->hold,
                   "keep ENABLE asserted after the move (holding torque) until Ctrl-C or SIGTERM");
    move->callback([args] { runMove(*args); });

    auto homeMotor = std::make_shared<std::string>();
    auto *home = app.add_subcommand("home", "Find a motor's endstop and make it position 0");
    home->add_option("MOTOR", *homeMotor, "motor name")->required();
    home->add_option("--rig", args->rig, "rig file")->required();
    home->add_option("--node", args->node, "this node's name in the rig (default: hostname)");
    home->callback([args, homeMotor] { runHome(*args, *homeMotor); });
}

} // namespace lockstep
