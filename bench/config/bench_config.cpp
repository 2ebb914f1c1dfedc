/* How the configuration loaders scale with file size: a mapping of 1,000,000 keys (duplicate
 * detection) and a plan of ~10 MB (440,000 positions), each loaded in a child process of its own
 * so that its peak memory is its alone, beside two references on the same file: libyaml's event
 * parser alone, every event fetched and dropped (the floor: the loaders parse with it), and
 * yaml-cpp's YAML::Load (the loaders' parser until 2026-12: the peer). Medians of several runs;
 * prints a Markdown table.
 *
 *   bench_config [RUNS]      (default 5) */
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <yaml.h>

#include "common/bench_support.h"
#include "config/diagnostic.h"
#include "config/plan.h"
#include "config/rig.h"
#include "config/yaml_reader.h"

namespace
{

struct Sample {
    double seconds;
    double cpuSeconds; /* user + system: what the wall time is on an idle machine */
    double peakMiB;
};

/* Runs `work` in a child; its wall time, CPU time and peak resident memory (ru_maxrss). */
Sample measure(const std::function<void()> &work)
{
    const pid_t pid = fork();
    if (pid < 0) {
        std::perror("fork");
        std::exit(1);
    }
    if (pid == 0) {
        const auto start = std::chrono::steady_clock::now();
        work();
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        /* The time travels in the exit path's pipe-free way: written to a file by pid. */
        std::ofstream(std::string("/tmp/bench_config.") + std::to_string(getpid())) << s;
        std::_Exit(0);
    }
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    const std::string file = std::string("/tmp/bench_config.") + std::to_string(pid);
    double seconds = -1;
    std::ifstream(file) >> seconds;
    std::remove(file.c_str());
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || seconds < 0) {
        std::fprintf(stderr, "bench_config: a measured child failed\n");
        std::exit(1);
    }
    const auto secondsOf = [](const timeval &t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return {seconds, secondsOf(usage.ru_utime) + secondsOf(usage.ru_stime),
            static_cast<double>(usage.ru_maxrss) / 1024.0};
}

Sample median(std::vector<Sample> samples)
{
    const auto mid = samples.begin() + static_cast<long>(samples.size() / 2);
    std::nth_element(samples.begin(), mid, samples.end(),
                     [](const Sample &a, const Sample &b) { return a.seconds < b.seconds; });
    const double seconds = mid->seconds;
    std::nth_element(samples.begin(), mid, samples.end(),
                     [](const Sample &a, const Sample &b) { return a.cpuSeconds < b.cpuSeconds; });
    const double cpuSeconds = mid->cpuSeconds;
    std::nth_element(samples.begin(), mid, samples.end(),
                     [](const Sample &a, const Sample &b) { return a.peakMiB < b.peakMiB; });
    return {seconds, cpuSeconds, mid->peakMiB};
}

Sample repeat(int runs, const std::function<void()> &work)
{
    std::vector<Sample> samples;
    samples.reserve(static_cast<size_t>(runs));
    for (int i = 0; i < runs; ++i)
        samples.push_back(measure(work));
    return median(samples);
}

/* libyaml's parser over the whole file, every event dropped: what no reader built on it can go
 * under. */
void scanEvents(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        std::exit(1);
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char *>(text.data()),
                                 text.size());
    for (bool done = false; !done;) {
        yaml_event_t event;
        if (!yaml_parser_parse(&parser, &event)) {
            std::fprintf(stderr, "bench_config: libyaml: %s\n", parser.problem);
            std::exit(1);
        }
        done = event.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
}

double mebibytes(const std::string &path)
{
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    return static_cast<double>(in.tellg()) / (1024.0 * 1024.0);
}

} // namespace

int main(int argc, char **argv)
{
    using namespace lockstep;
    const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
    char dirTemplate[] = "/tmp/bench-config.XXXXXX";
    const std::string dir = mkdtemp(dirTemplate);

    /* A rig with one motor and a plan whose positions list is ~10 MB. */
    const std::string rigPath = dir + "/rig.yaml";
    std::ofstream(rigPath) << "rig: r\nsim_dir: s\nnodes:\n  - host: pi01\n    motors:\n"
                              "      - {name: turntable, backend: sim, step: {line: 17}, "
                              "dir: {line: 27}, enable: {line: 22}, max_speed: 90, "
                              "max_accel: 180}\n    cameras:\n      - {name: cam, backend: sim}\n";
    const std::string planPath = dir + "/plan.yaml";
    {
        std::ofstream plan(planPath);
        plan << "scan: big\nrig: rig.yaml\npositions:\n";
        for (int i = 0; i < 440'000; ++i)
            plan << "  - {turntable: " << (i % 3600) / 10.0 << "}\n";
    }
    /* A mapping of 1,000,000 distinct keys (the keys of `motion:`, all unknown motors: every one
     * is compared against all the others for duplicates, then reported). */
    const std::string mapPath = dir + "/map.yaml";
    {
        std::ofstream map(mapPath);
        map << "scan: big\npositions: [{turntable: 1}]\nmotion:\n";
        for (int i = 0; i < 1'000'000; ++i)
            map << "  m" << i << ": {}\n";
    }
    const RigConfig rig = loadRig(rigPath);

    const auto eventsOnly = [](const std::string &path) { return [path] { scanEvents(path); }; };
    const auto yamlCpp = [](const std::string &path) {
        return [path] { (void)YAML::LoadFile(path); };
    };
    const auto loadPlanFile = [&](const std::string &path) {
        return [path, &rig] {
            try {
                (void)loadPlan(path, rig);
            } catch (const ConfigError &) {
                /* expected for the map: every key is an unknown motor */
            }
        };
    };
    const auto mapEntriesOnly = [](const std::string &path) {
        return [path] {
            config::Reader reader(path);
            const auto root = reader.load("plan file");
            const config::MapReader top(reader, *root, {"scan", "positions", "motion"});
            (void)config::mapEntries(reader, *top.find("motion"));
        };
    };

    struct Row {
        const char *what;
        std::string file;
        Sample floor; /* libyaml events */
        Sample peer;  /* yaml-cpp Load */
        Sample lockstep;
    };
    const Sample planFloor = repeat(runs, eventsOnly(planPath));
    const Sample planPeer = repeat(runs, yamlCpp(planPath));
    const Sample mapFloor = repeat(runs, eventsOnly(mapPath));
    const Sample mapPeer = repeat(runs, yamlCpp(mapPath));
    std::vector<Row> rows;
    rows.push_back({"plan, 440,000 positions (`loadPlan`, what `validate` runs)", planPath,
                    planFloor, planPeer, repeat(runs, loadPlanFile(planPath))});
    rows.push_back({"mapping of 1,000,000 keys: duplicate check only", mapPath, mapFloor, mapPeer,
                    repeat(runs, mapEntriesOnly(mapPath))});
    rows.push_back({"mapping of 1,000,000 keys: whole plan, 1,000,000 errors", mapPath, mapFloor,
                    mapPeer, repeat(runs, loadPlanFile(mapPath))});

    std::printf("Machine: %s\nRuns: %d per figure, medians (each run a fresh child process)\n\n",
                bench::hostAndLoad().c_str(), runs);
    std::printf("| file | size (MiB) | libyaml events (floor): s / CPU s / peak MiB | yaml-cpp "
                "Load: s / CPU s / peak MiB | lockstep: s / CPU s / peak MiB | time / floor |\n"
                "| --- | --- | --- | --- | --- | --- |\n");
    const auto cell = [](const Sample &sample) {
        return bench::fixed(sample.seconds, 2) + " / " + bench::fixed(sample.cpuSeconds, 2) +
               " / " + bench::fixed(sample.peakMiB, 0);
    };
    for (const Row &row : rows)
        std::printf("| %s | %s | %s | %s | %s | %s |\n", row.what,
                    bench::fixed(mebibytes(row.file), 1).c_str(), cell(row.floor).c_str(),
                    cell(row.peer).c_str(), cell(row.lockstep).c_str(),
                    bench::fixed(row.lockstep.seconds / row.floor.seconds, 2).c_str());
    std::remove(rigPath.c_str());
    std::remove(planPath.c_str());
    std::remove(mapPath.c_str());
    rmdir(dir.c_str());
    return 0;
}
