/* lockstep hello: the cluster check. Every task answers with its PMIx rank, size and host, the
 * devices the SPANK plugin reserved for it, and its clock's offset against rank 0, estimated from
 * the instants at which all ranks leave the same collecting fences (median of many rounds). */
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "commands/commands.h"
#include "coord/coordinator.h"
#include "util/clock.h"
#include "util/statistics.h"

namespace lockstep
{

namespace
{

constexpr int kRounds = 25;

std::string envOr(const char *name, const char *fallback)
{
    const char *value = std::getenv(name);
    return value && *value ? value : fallback;
}

void runHello()
{
    const std::unique_ptr<Coordinator> coord = underPmix() ? connectPmix() : soloCoordinator();
    std::vector<Nanos> exits;
    for (int round = 0; round < kRounds; ++round) {
        coord->fence();
        exits.push_back(realtimeNow());
    }
    const nlohmann::json me = {{"rank", coord->rank()},
                               {"host", coord->host()},
                               {"devices", envOr("LOCKSTEP_DEVICES", "-")},
                               {"node", envOr("LOCKSTEP_NODE", "-")},
                               {"exits", exits}};
    const std::vector<std::string> all = coord->allGather(me.dump());
    if (coord->rank() != 0)
        return;
    const auto rank0 = nlohmann::json::parse(all.front()).at("exits").get<std::vector<Nanos>>();
    std::printf("lockstep hello: %d tasks\n", coord->size());
    std::printf("%4s  %-12s %-10s %-24s %14s %12s\n", "rank", "host", "node", "reserved devices",
                "offset (us)", "spread (us)");
    for (const std::string &text : all) {
        const auto task = nlohmann::json::parse(text);
        const auto mine = task.at("exits").get<std::vector<Nanos>>();
        std::vector<double> offsets;
        for (size_t i = 0; i < mine.size() && i < rank0.size(); ++i)
            offsets.push_back(double(mine[i] - rank0[i]) / 1e3);
        std::printf("%4d  %-12s %-10s %-24s %14.1f %12.1f\n", task.at("rank").get<int>(),
                    task.at("host").get<std::string>().c_str(),
                    task.at("node").get<std::string>().c_str(),
                    task.at("devices").get<std::string>().c_str(), percentile(offsets, 50),
                    percentile(offsets, 90) - percentile(offsets, 10));
    }
}

} // namespace

void addHelloCommand(CLI::App &app)
{
    auto *cmd = app.add_subcommand(
        "hello", "Cluster check: every task's PMIx rank, host, devices and clock offset to rank 0");
    cmd->callback([] { runHello(); });
}

} // namespace lockstep
