/* Step timing benchmark: the step executor on the simulated GPIO backend at constant step rates,
 * against this machine's own timer wake-up latency floor measured by cyclictest.
 *
 * Usage: bench_step_timing [--seconds S] [--cyclictest-seconds S] */
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <sched.h>
#include <sys/utsname.h>

#include "gpio/sim_gpio.h"
#include "motion/step_executor.h"

using namespace lockstep;

namespace
{

struct Percentiles {
    double p50 = 0, p99 = 0, max = 0; /* microseconds */
};

/* Nearest-rank percentiles of the samples, in microseconds. */
Percentiles percentiles(std::vector<Nanoseconds> samples)
{
    Percentiles p;
    if (samples.empty())
        return p;
    std::sort(samples.begin(), samples.end());
    auto at = [&](double q) {
        const size_t rank = static_cast<size_t>(q * static_cast<double>(samples.size() - 1));
        return std::chrono::duration<double, std::micro>(samples[rank]).count();
    };
    p.p50 = at(0.50);
    p.p99 = at(0.99);
    p.max = std::chrono::duration<double, std::micro>(samples.back()).count();
    return p;
}

std::string cpuModel()
{
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("model name", 0) == 0 || line.rfind("Model", 0) == 0)
            return line.substr(line.find(':') + 2);
    }
    return "unknown";
}

std::string kernel()
{
    utsname u{};
    uname(&u);
    return std::string(u.sysname) + " " + u.release + " " + u.machine;
}

struct RateResult {
    double rate;
    int64_t steps;
    Percentiles step; /* STEP active edges: the instants that move the motor */
    Percentiles all;  /* every edge, including the pulse ends */
    bool completed;
    std::string stopReason;
};

RateResult runRate(double rate, double seconds, RealtimeStatus &status)
{
    char pattern[] = "/tmp/lockstep-bench-XXXXXX";
    if (mkdtemp(pattern) == nullptr)
        throw std::runtime_error("mkdtemp failed");
    const std::string dir = pattern;

    const MotorLines motor{2, false, 3, false, 4, true};
    SimDriver driver;
    driver.motor = "bench";
    driver.lines = motor;
    LineRequest request;
    request.outputs = {motor.step, motor.dir, motor.enable};
    request.initialLevels = {0, 0, 1};

    RateResult result{rate, static_cast<int64_t>(rate * seconds), {}, {}, false, {}};
    {
        SimGpio gpio(dir, "bench", {driver}, request);
        ExecutorOptions options;
        options.maxLateness = std::chrono::seconds(1); /* measure, do not abort */
        StepExecutor executor(gpio, {motor}, options);
        status = executor.realtimeStatus();
        /* Constant rate: an acceleration so high that the ramps last 1 ms. */
        const MovePlan plan = MovePlan::plan({{0, result.steps, rate, rate * 1000}});
        const MoveReport report = executor.execute(plan);
        result.completed = report.completed;
        result.stopReason = report.stopReason;
        std::vector<Nanoseconds> active;
        for (size_t i = 0; i < report.lateness.size(); i += 2)
            active.push_back(report.lateness[i]);
        result.step = percentiles(active);
        result.all = percentiles(report.lateness);
    }
    std::filesystem::remove_all(dir);
    return result;
}

struct Floor {
    std::string command;
    std::optional<Percentiles> latency;
    std::string problem;
};

/* cyclictest's histogram (-h) gives the same percentiles as the executor's table. */
Floor cyclictestFloor(int seconds)
{
    const int priority = sched_get_priority_max(SCHED_FIFO) / 2; /* the executor's */
    Floor floor;
    floor.command = "cyclictest -m -q -D " + std::to_string(seconds) + " -i 1000 -t1 -p " +
                    std::to_string(priority) + " -h 2000";
    FILE *pipe = popen((floor.command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) {
        floor.problem = "could not start cyclictest";
        return floor;
    }
    std::vector<Nanoseconds> samples;
    std::string output;
    std::array<char, 512> buffer{};
    while (fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
        const std::string line = buffer.data();
        output += line;
        unsigned long us = 0, count = 0;
        if (line[0] != '#' && std::sscanf(line.c_str(), "%lu %lu", &us, &count) == 2)
            samples.insert(samples.end(), count, Microseconds(us));
        unsigned long max = 0;
        if (std::sscanf(line.c_str(), "# Max Latencies: %lu", &max) == 1 && !samples.empty())
            samples.back() = std::max<Nanoseconds>(samples.back(), Microseconds(max));
    }
    const int status = pclose(pipe);
    if (status != 0 || samples.empty()) {
        floor.problem = "cyclictest failed or is not installed (Debian package rt-tests): " +
                        output.substr(0, 300);
        return floor;
    }
    floor.latency = percentiles(samples);
    return floor;
}

} // namespace

int main(int argc, char **argv)
{
    double seconds = 2;
    int cyclictestSeconds = 5;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--seconds" && i + 1 < argc)
            seconds = std::atof(argv[++i]);
        else if (arg == "--cyclictest-seconds" && i + 1 < argc)
            cyclictestSeconds = std::atoi(argv[++i]);
        else {
            std::fprintf(stderr, "usage: %s [--seconds S] [--cyclictest-seconds S]\n", argv[0]);
            return 2;
        }
    }
    std::string command = argv[0];
    for (int i = 1; i < argc; ++i)
        command += std::string(" ") + argv[i];

    std::printf("# Step timing\n\ncommand: %s\nmachine: %u CPUs, %s, %s\n", command.c_str(),
                std::thread::hardware_concurrency(), cpuModel().c_str(), kernel().c_str());
    std::printf("backend: simulated GPIO (shared-memory line state, edge log, track ring)\n");
    std::printf("move: %.1f s of constant step rate per row, 2 us step pulse\n\n", seconds);

    std::vector<RateResult> results;
    RealtimeStatus status;
    for (double rate : {1'000.0, 10'000.0, 25'000.0, 50'000.0})
        results.push_back(runRate(rate, seconds, status));
    std::printf("executor thread: SCHED_FIFO %s, mlockall %s, CPU %d%s%s\n\n",
                status.fifo ? "yes" : "no", status.locked ? "yes" : "no", status.cpu,
                status.warning.empty() ? "" : "; ", status.warning.c_str());

    const Floor floor = cyclictestFloor(cyclictestSeconds);
    std::printf("| step rate | steps | STEP edge lateness p50 / p99 / max (us) | "
                "all edges max (us) | p50 / floor p50 | p99 / floor p99 |\n");
    std::printf("| --- | --- | --- | --- | --- | --- |\n");
    for (const RateResult &r : results) {
        char ratio50[32] = "-", ratio99[32] = "-";
        if (floor.latency && floor.latency->p50 > 0) {
            std::snprintf(ratio50, sizeof(ratio50), "%.2f", r.step.p50 / floor.latency->p50);
            std::snprintf(ratio99, sizeof(ratio99), "%.2f", r.step.p99 / floor.latency->p99);
        }
        std::printf("| %.0f kHz | %lld | %.1f / %.1f / %.1f | %.1f | %s | %s |%s\n", r.rate / 1000,
                    static_cast<long long>(r.steps), r.step.p50, r.step.p99, r.step.max, r.all.max,
                    ratio50, ratio99, r.completed ? "" : (" stopped: " + r.stopReason).c_str());
    }
    std::printf("\nwake-up latency floor: %s\n", floor.command.c_str());
    if (floor.latency)
        std::printf("| cyclictest | p50 %.0f us | p99 %.0f us | max %.0f us |\n",
                    floor.latency->p50, floor.latency->p99, floor.latency->max);
    else
        std::printf("not measured: %s\n", floor.problem.c_str());
    return 0;
}
