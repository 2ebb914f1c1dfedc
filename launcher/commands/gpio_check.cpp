#include "commands/gpio_check.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>

#include "gpio/gpio_lines.h"
#include "gpio/gpiod_compat.h"
#include "gpio/shared_lines.h"
#include "gpio/sim_gpio.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

LineHolder realHolder(const std::string &chipPath, unsigned offset)
{
#if LOCKSTEP_GPIOD_API == 2
    const gpiod::line_info info = gpiod::chip(chipPath).get_line_info(offset);
    return {info.used(), info.consumer()};
#else
    const gpiod::line line = gpiod::chip(chipPath, gpiod::chip::OPEN_BY_PATH).get_line(offset);
    return {line.is_used(), line.consumer()};
#endif
}

/* A simulated line's holder is a pid in the shared state file; one that died holds nothing. */
LineHolder simHolder(const SharedLines *lines, unsigned offset)
{
    if (!lines || offset >= kSimLineCount)
        return {};
    const int32_t pid = lines->state().owner[offset].load();
    if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH))
        return {};
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    std::getline(comm, name);
    return {true, (name.empty() ? std::string("process") : name) + " pid " + std::to_string(pid)};
}

} // namespace

std::vector<ConfiguredLine> configuredLines(const NodeConfig &node)
{
    std::vector<ConfiguredLine> lines;
    auto add = [&lines](unsigned offset, const std::string &use) {
        auto same = std::find_if(lines.begin(), lines.end(),
                                 [offset](const ConfiguredLine &l) { return l.offset == offset; });
        if (same == lines.end())
            lines.push_back({offset, use});
        else
            same->use += ", " + use;
    };
    for (const MotorConfig &motor : node.motors) {
        add(motor.step.offset, motor.name + " STEP");
        add(motor.dir.offset, motor.name + " DIR");
        add(motor.enable.offset, motor.name + " ENABLE");
        if (motor.endstop)
            add(motor.endstop->offset, motor.name + " endstop");
    }
    return lines;
}

Finding judgeLine(const ConfiguredLine &line, const LineHolder &holder)
{
    const std::string head = "line " + std::to_string(line.offset) + " (" + line.use + ")";
    if (!holder.used)
        return {Verdict::Pass, "gpio", head + ": free"};
    if (holder.consumer.rfind("lockstep", 0) == 0)
        return {Verdict::Pass, "gpio", head + ": held by " + holder.consumer + " (a lockstep job)"};
    return {Verdict::Fail, "gpio",
            head + ": claimed by " +
                (holder.consumer.empty() ? "an unnamed consumer" : holder.consumer) +
                ": lockstep cannot request it (a device-tree overlay or another program owns it)"};
}

std::vector<Finding> checkGpio(const RigConfig &rig, const NodeConfig &node)
{
    std::vector<Finding> out;
    const std::vector<ConfiguredLine> lines = configuredLines(node);
    if (node.motors.empty()) {
        out.push_back({Verdict::Skip, "gpio", "no motors on this node"});
        return out;
    }
    const bool sim = std::any_of(node.motors.begin(), node.motors.end(),
                                 [](const MotorConfig &m) { return m.backend == Backend::Sim; });
    if (sim) {
        const std::string path = simLinesPath(rig.simDir, node.hostname);
        std::unique_ptr<SharedLines> shared;
        if (std::filesystem::exists(path))
            shared = std::make_unique<SharedLines>(path, SharedLines::Mode::ReadOnly);
        out.push_back({Verdict::Pass, "gpio",
                       "simulated lines in " + path + (shared ? "" : " (not made yet: all free)")});
        for (const ConfiguredLine &line : lines)
            out.push_back(judgeLine(line, simHolder(shared.get(), line.offset)));
        return out;
    }
    std::string chip;
    try {
        chip = findHeaderChip(node.gpioChip);
    } catch (const RunError &e) {
        out.push_back({Verdict::Fail, "gpio", e.what()});
        return out;
    }
    out.push_back({Verdict::Pass, "gpio",
                   "header chip " + chip +
                       (node.gpioChip.empty() ? " (found by label)" : " (" + node.gpioChip + ")")});
    for (const ConfiguredLine &line : lines) {
        try {
            out.push_back(judgeLine(line, realHolder(chip, line.offset)));
        } catch (const std::exception &e) {
            out.push_back({Verdict::Fail, "gpio",
                           "line " + std::to_string(line.offset) + " (" + line.use +
                               "): cannot read its information: " + e.what()});
        }
    }
    return out;
}

} // namespace lockstep
