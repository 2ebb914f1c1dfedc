#include "commands/timing_check.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <limits>
#include <memory>
#include <pthread.h>
#include <sched.h>
#include <thread>

#include "commands/gpio_check.h"
#include "gpio/gpio_lines.h"
#include "gpio/shared_lines.h"
#include "gpio/sim_gpio.h"
#include "motion/motor_group.h"
#include "motion/move_plan.h"
#include "motion/step_executor.h"
#include "util/chrono_clocks.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

using std::chrono::nanoseconds;

/* CLOCK_MONOTONIC as time since its epoch, through the project's clock. */
nanoseconds monotonic()
{
    return MonotonicClock::now().time_since_epoch();
}

/* Sorted copy's element at the nearest rank of pct (0-100). */
nanoseconds rank(std::vector<nanoseconds> values, double pct)
{
    if (values.empty())
        return nanoseconds(0);
    std::sort(values.begin(), values.end());
    const auto index = static_cast<size_t>(pct / 100.0 * static_cast<double>(values.size() - 1));
    return values[index];
}

std::string us(nanoseconds t)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.1f us", static_cast<double>(t.count()) / 1e3);
    return text;
}

/* The spare line as the executor's whole world: its STEP is the line, and what it writes to its
 * DIR and ENABLE (offsets that no chip has) goes nowhere. Called from the real-time thread: no
 * allocation. */
class SpareLineOnly : public GpioLines
{
public:
    static constexpr unsigned kNowhereDir = 1000;
    static constexpr unsigned kNowhereEnable = 1001;

    SpareLineOnly(GpioLines &lines, unsigned line) : lines_(lines), line_(line) {}

    void set(std::span<const unsigned> offsets, std::span<const uint8_t> levels) override
    {
        for (size_t i = 0; i < offsets.size(); ++i)
            if (offsets[i] == line_) {
                const std::array<unsigned, 1> offset{line_};
                const std::array<uint8_t, 1> level{levels[i]};
                lines_.set(offset, level);
            }
    }
    uint8_t get(unsigned offset) override { return offset == line_ ? lines_.get(offset) : 0; }

private:
    GpioLines &lines_;
    unsigned line_;
};

std::unique_ptr<GpioLines> openSpareLine(const RigConfig &rig, const NodeConfig &node, bool sim,
                                         unsigned line)
{
    LineRequest request;
    request.consumer = "lockstep selftest";
    request.outputs = {line};
    request.initialLevels = {0};
    if (sim)
        return std::make_unique<SimGpio>(rig.simDir, node.hostname, std::vector<SimDriver>{},
                                         request);
    return openGpiodLines(node.gpioChip, request);
}

} // namespace

WakeupFigures measureWakeups(nanoseconds duration, nanoseconds interval, int priority)
{
    WakeupFigures figures;
    std::vector<nanoseconds> lateness;
    lateness.reserve(static_cast<size_t>(duration / interval) + 1);
    std::thread thread([&] {
        sched_param param{};
        param.sched_priority = priority;
        figures.fifo = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0;
        const nanoseconds end = monotonic() + duration;
        nanoseconds next = monotonic() + interval;
        while (next < end) {
            const timespec at{static_cast<time_t>(next.count() / 1'000'000'000),
                              static_cast<long>(next.count() % 1'000'000'000)};
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr) != 0) {
            }
            lateness.push_back(monotonic() - next);
            next += interval;
        }
    });
    thread.join();
    figures.samples = lateness.size();
    figures.median = rank(lateness, 50);
    figures.p99 = rank(lateness, 99);
    figures.max =
        lateness.empty() ? nanoseconds(0) : *std::max_element(lateness.begin(), lateness.end());
    return figures;
}

Finding judgeWakeups(const WakeupFigures &figures, double rigLatencyUs)
{
    const std::string text = std::to_string(figures.samples) + " wake-ups" +
                             (figures.fifo ? " at SCHED_FIFO" : " (SCHED_FIFO refused)") +
                             ": median " + us(figures.median) + ", p99 " + us(figures.p99) +
                             ", max " + us(figures.max);
    const double maxUs = static_cast<double>(figures.max.count()) / 1e3;
    if (maxUs <= rigLatencyUs)
        return {Verdict::Pass, "timing",
                text + ", within the rig's wakeup_latency_us " +
                    std::to_string(static_cast<int>(rigLatencyUs))};
    return {Verdict::Warn, "timing",
            text + ": beyond the rig's wakeup_latency_us " +
                std::to_string(static_cast<int>(rigLatencyUs)) +
                "; measure for 10 min with cyclictest (docs/configuration.md) and raise it"};
}

namespace
{

bool simulatedLines(const RigConfig &rig, const NodeConfig &node)
{
    return std::any_of(node.motors.begin(), node.motors.end(),
                       [](const MotorConfig &m) { return m.backend == Backend::Sim; }) ||
           (node.motors.empty() && !rig.simDir.empty() && node.gpioChip.empty());
}

} // namespace

void requireSpareLine(const RigConfig &rig, const NodeConfig &node, unsigned line)
{
    for (const ConfiguredLine &used : configuredLines(node))
        if (used.offset == line)
            throw InputError("--toggle " + std::to_string(line) + ": the line is the node's " +
                             used.use + "; selftest toggles only a spare line");
    const unsigned lines = simulatedLines(rig, node) ? kSimLineCount : kHeaderGpioLines;
    if (line >= lines)
        throw InputError("--toggle " + std::to_string(line) + ": not a header line (0-" +
                         std::to_string(lines - 1) + ")");
}

std::vector<Finding> checkSpareLine(const RigConfig &rig, const NodeConfig &node, unsigned line)
{
    requireSpareLine(rig, node, line);
    const bool sim = simulatedLines(rig, node);
    std::vector<Finding> out;
    const std::string area = "timing";
    std::unique_ptr<GpioLines> gpio;
    try {
        gpio = openSpareLine(rig, node, sim, line);
    } catch (const RunError &e) {
        out.push_back({Verdict::Fail, area, "--toggle " + std::to_string(line) + ": " + e.what()});
        return out;
    }

    /* The cost of one set: what every STEP edge costs the executor. */
    constexpr int kSets = 20'000;
    std::vector<nanoseconds> costs;
    costs.reserve(kSets);
    const std::array<unsigned, 1> offset{line};
    for (int i = 0; i < kSets; ++i) {
        const std::array<uint8_t, 1> level{static_cast<uint8_t>(i & 1)};
        const nanoseconds before = monotonic();
        gpio->set(offset, level);
        costs.push_back(monotonic() - before);
    }
    const nanoseconds medianCost = rank(costs, 50);
    const std::string costText = "one GPIO set on line " + std::to_string(line) + ": median " +
                                 us(medianCost) + ", p99 " + us(rank(costs, 99)) + ", max " +
                                 us(*std::max_element(costs.begin(), costs.end()));
    if (medianCost <= rig.stepPulse)
        out.push_back({Verdict::Pass, area, costText});
    else
        out.push_back({Verdict::Warn, area,
                       costText + ": longer than the step pulse (" + us(rig.stepPulse) +
                           "), which it then stretches"});

    /* The executor on the spare line at the node's fastest motor's rate and acceleration (steps),
     * about a second at that rate: what a STEP line gets here under the same load. */
    double rate = 1000;
    double accel = 10'000;
    if (!node.motors.empty()) {
        rate = 0;
        accel = 0;
        for (const MotorConfig &motor : node.motors) {
            rate = std::max(rate, motor.maxSpeed * motor.stepsPerUnit());
            accel = std::max(accel, motor.maxAccel * motor.stepsPerUnit());
        }
    }
    const auto steps = static_cast<int64_t>(std::clamp(rate, 200.0, 2000.0));
    ExecutorOptions options = executorOptionsFor(rig);
    if (sim) { /* as MotorGroup drives simulated motors: they lose no step, only the absolute
                  bound applies */
        options.maxLatenessPeriods = std::numeric_limits<double>::infinity();
        options.catchUp = true;
    }
    MoveReport report;
    std::string scheduling;
    {
        SpareLineOnly only(*gpio, line);
        StepExecutor executor(only,
                              {MotorLines{line, false, SpareLineOnly::kNowhereDir, false,
                                          SpareLineOnly::kNowhereEnable, false}},
                              options);
        report = executor.execute(MovePlan::plan({AxisRequest{0, steps, rate, accel}}));
        scheduling = executor.realtimeStatus().warning;
    }
    gpio->set(offset, std::array<uint8_t, 1>{0});
    std::vector<nanoseconds> lateness;
    lateness.reserve(report.lateness.size());
    for (const auto late : report.lateness)
        lateness.emplace_back(late);
    char head[128];
    std::snprintf(head, sizeof head, "executor on line %u (%lld steps, up to %.0f steps/s): ", line,
                  static_cast<long long>(steps), rate);
    const std::string text =
        std::string(head) + std::to_string(report.edges) + " edges, lateness p99 " +
        us(rank(lateness, 99)) + ", max " + us(nanoseconds(report.maxLateness)) + " (abort bound " +
        us(rig.maxLateness) + ")" + (scheduling.empty() ? "" : "; " + scheduling);
    if (!report.completed)
        out.push_back({Verdict::Fail, area, text + ": stopped: " + report.stopReason});
    else if (report.maxLateness * 2 > rig.maxLateness || !scheduling.empty())
        out.push_back({Verdict::Warn, area, text});
    else
        out.push_back({Verdict::Pass, area, text});
    return out;
}

} // namespace lockstep
