/* Coordination cost per scan position: one long-running job doing a collecting fence plus a
 * broadcast of the capture instant per position, against launching a job per position.
 *
 * Usage: bench_coord [--ranks R] [--iterations N] [--launches K]
 * Run it directly: it launches itself with mpirun, (1) once with N positions, whose rank 0
 * prints the per-position times, and (2) K times as a trivial PMIx program (connect, one fence,
 * exit), plus K times `mpirun -n R true`, timing each launch from outside.
 * Under a launcher (`mpirun -n 4 bench_coord`, `srun --mpi=pmix bench_coord`) it runs only (1). */
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "common/bench_support.h"
#include "coord/coordinator.h"
#include "util/chrono_clocks.h"
#include "util/statistics.h"

using namespace lockstep;
using namespace lockstep::bench;

namespace
{

struct Options {
    int ranks = 4;
    int iterations = 500;
    int launches = 20;
    bool launchOnly = false;
};

Options parse(int argc, char **argv)
{
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (flag == "--launch-only") {
            options.launchOnly = true;
            continue;
        }
        if (i + 1 >= argc)
            throw std::runtime_error(flag + " needs a value");
        const int value = std::stoi(argv[++i]);
        if (flag == "--ranks")
            options.ranks = value;
        else if (flag == "--iterations")
            options.iterations = value;
        else if (flag == "--launches")
            options.launches = value;
        else
            throw std::runtime_error("unknown option " + flag);
    }
    return options;
}

double ms(Nanoseconds d)
{
    return FloatMillis(d).count();
}

std::vector<double> slice(const std::vector<double> &values, size_t from, size_t count)
{
    return {values.begin() + static_cast<long>(from),
            values.begin() + static_cast<long>(std::min(values.size(), from + count))};
}

/* Under a launcher: per-position cost on every rank, reported by rank 0. */
int measurePositions(const Options &options)
{
    const auto coord = connectPmix();
    if (options.launchOnly) {
        coord->fence();
        return 0;
    }
    std::vector<double> fenceMs;
    std::vector<double> positionMs;
    coord->fence();
    for (int i = 0; i < options.iterations; ++i) {
        const MonotonicInstant start = MonotonicClock::now();
        coord->fence();
        const MonotonicInstant fenced = MonotonicClock::now();
        const std::string instant = coord->broadcast(
            std::to_string(wireNanos(RealtimeClock::now() + std::chrono::milliseconds(50))));
        const MonotonicInstant end = MonotonicClock::now();
        if (instant.empty())
            return 1;
        fenceMs.push_back(ms(fenced - start));
        positionMs.push_back(ms(end - start));
    }
    if (coord->rank() == 0) {
        const size_t tail = std::min<size_t>(100, positionMs.size());
        std::cout << "ranks " << coord->size() << ", positions " << options.iterations << "\n"
                  << "fence alone: median " << fixed(percentile(fenceMs, 50), 3) << " ms, p99 "
                  << fixed(percentile(fenceMs, 99), 3) << " ms\n"
                  << "position (fence + broadcast of the capture instant): median "
                  << fixed(percentile(positionMs, 50), 3) << " ms, p99 "
                  << fixed(percentile(positionMs, 99), 3) << " ms\n"
                  << "position, first " << tail << ": median "
                  << fixed(percentile(slice(positionMs, 0, tail), 50), 3) << " ms; last " << tail
                  << ": median "
                  << fixed(percentile(slice(positionMs, positionMs.size() - tail, tail), 50), 3)
                  << " ms\n";
    }
    return 0;
}

std::string commandLine(const std::vector<std::string> &args)
{
    std::string line;
    for (const std::string &arg : args)
        line += (line.empty() ? "" : " ") + arg;
    return line;
}

/* Median and p99 launch time of a command, each launch timed from outside. */
std::vector<double> timeLaunches(const std::vector<std::string> &command, int count,
                                 const std::string &log)
{
    std::vector<double> times;
    for (int i = 0; i < count; ++i) {
        const MonotonicInstant start = MonotonicClock::now();
        if (run(command, log) != 0)
            throw std::runtime_error(commandLine(command) + " failed, see " + log);
        times.push_back(ms(MonotonicClock::now() - start));
    }
    return times;
}

int drive(const Options &options, const std::string &self)
{
    const std::vector<std::string> mpirun = {"mpirun", "-n", std::to_string(options.ranks),
                                             "--oversubscribe", "--allow-run-as-root"};
    const std::string log = "/tmp/bench_coord." + std::to_string(getpid()) + ".log";

    std::vector<std::string> positions = mpirun;
    positions.insert(positions.end(), {self, "--iterations", std::to_string(options.iterations)});
    const int status = run(positions, log);
    std::ifstream in(log);
    const std::string report((std::istreambuf_iterator<char>(in)), {});

    std::vector<std::string> pmixLaunch = mpirun;
    pmixLaunch.insert(pmixLaunch.end(), {self, "--launch-only"});
    const std::vector<double> pmixTimes = timeLaunches(pmixLaunch, options.launches, log);
    std::vector<std::string> trueLaunch = mpirun;
    trueLaunch.emplace_back("true");
    const std::vector<double> trueTimes = timeLaunches(trueLaunch, options.launches, log);
    std::remove(log.c_str());

    std::cout << "machine: " << hostAndLoad() << "\n"
              << "command (one job): " << commandLine(positions) << "\n"
              << report;
    if (status != 0) {
        std::cout << "the job failed with status " << status << "\n";
        return 1;
    }
    std::cout << "launch per position, " << options.launches << " launches each:\n"
              << "  " << commandLine(pmixLaunch) << ": median "
              << fixed(percentile(pmixTimes, 50), 1) << " ms, p99 "
              << fixed(percentile(pmixTimes, 99), 1) << " ms\n"
              << "  " << commandLine(trueLaunch) << ": median "
              << fixed(percentile(trueTimes, 50), 1) << " ms, p99 "
              << fixed(percentile(trueTimes, 99), 1) << " ms\n";
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    try {
        const Options options = parse(argc, argv);
        if (underPmix())
            return measurePositions(options);
        return drive(options, std::filesystem::canonical("/proc/self/exe").string());
    } catch (const std::exception &e) {
        std::cerr << "bench_coord: " << e.what() << "\n";
        return 1;
    }
}
