/* lockstep selftest --rig RIG [--node NAME] [--toggle LINE]: what works on this node, one line
 * per check (PASS, WARN, FAIL, SKIP), in the order a scan needs them: GPIO lines, timing,
 * real-time settings and limits, cameras, board health, clock. Nothing is driven unless
 * --toggle names a spare line; cameras stream briefly. Exit status by the worst line: 0 PASS or
 * SKIP only, 3 WARN, 1 FAIL (2: bad input, as for every command). docs/hardware.md, "How to read
 * selftest", explains each line. */
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>

#include "commands/board_health.h"
#include "commands/camera_check.h"
#include "commands/clock_sync.h"
#include "commands/commands.h"
#include "commands/gpio_check.h"
#include "commands/realtime_settings.h"
#include "commands/selftest_report.h"
#include "commands/timing_check.h"
#include "config/rig.h"
#include "coord/clock_probe.h"
#include "scan/node_identity.h"

namespace lockstep
{

namespace
{

struct SelftestArgs {
    std::string rig = "/etc/lockstep/rig.yaml";
    std::string node;
    std::optional<unsigned> toggle;
    double wakeupSeconds = 2;
};

std::string readFile(const std::string &path)
{
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

int runSelftest(const SelftestArgs &args)
{
    const RigConfig rig = loadRig(args.rig);
    const NodeConfig &node = resolveNode(rig, args.node);
    if (args.toggle)
        requireSpareLine(rig, node, *args.toggle); /* bad input: before any check runs */
    std::printf("lockstep selftest: node %s of rig %s (%s)\n", node.hostname.c_str(),
                rig.name.c_str(), rig.path.c_str());
    SelftestReport report(stdout);
    const auto addAll = [&report](const std::vector<Finding> &findings) {
        for (const Finding &finding : findings)
            report.add(finding);
    };

    addAll(checkGpio(rig, node));

    const double rigLatencyUs =
        node.wakeupLatencyUs > 0 ? node.wakeupLatencyUs : kDefaultWakeupLatencyUs;
    report.add(judgeWakeups(measureWakeups(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                               std::chrono::duration<double>(args.wakeupSeconds)),
                                           std::chrono::microseconds(200), rig.executorPriority),
                            rigLatencyUs));
    if (args.toggle)
        addAll(checkSpareLine(rig, node, *args.toggle));
    else
        report.add(Verdict::Skip, "timing",
                   "GPIO set cost and executor lateness: nothing toggled (--toggle LINE names a "
                   "spare line to measure them on)");

    addAll(judgeRealtimeSettings(readRealtimeSettings("/")));
    addAll(judgeRealtimeLimits(currentRealtimeLimits(), rig.executorPriority));

    addAll(checkCameras(rig, node));

    report.add(judgeCma(parseCma(readFile("/proc/meminfo"))));
    std::string source;
    const std::optional<uint32_t> throttled = readThrottled("/", source);
    report.add(judgeThrottled(throttled, source));

    addAll(judgeClockSync(runningTimeDaemons("/proc"), kernelClockState(), rig.nodes.size()));

    std::printf("%s\n", report.summary().c_str());
    return report.exitStatus();
}

} // namespace

void addSelftestCommand(CLI::App &app)
{
    auto *cmd = app.add_subcommand(
        "selftest", "Check this node's GPIO lines, timing, real-time settings, cameras, board and "
                    "clock; drives nothing unless --toggle names a spare line");
    auto args = std::make_shared<SelftestArgs>();
    cmd->add_option("--rig", args->rig, "rig file")->capture_default_str();
    cmd->add_option("--node", args->node, "this node's name in the rig (default: hostname)");
    cmd->add_option("--toggle", args->toggle,
                    "a spare header line (BCM number) to measure a GPIO set and the step "
                    "executor on; it is driven, then left low")
        ->check(CLI::Range(0, 63));
    cmd->add_option("--wakeup-seconds", args->wakeupSeconds,
                    "how long to measure real-time wake-ups (every 200 us)")
        ->check(CLI::Range(0.1, 600.0))
        ->capture_default_str();
    cmd->callback([args] { commandStatus() = runSelftest(*args); });
}

} // namespace lockstep
