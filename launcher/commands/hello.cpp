/* lockstep hello: the cluster check. Every task answers with its PMIx rank, host, the devices the
 * SPANK plugin reserved for it, and its clock's offset to rank 0's, measured by four-timestamp
 * exchanges with a UDP server on rank 0 (coord/clock_probe.h), beside what the node's own time
 * sync reports to the kernel. With --plan (or --max-offset-us) it fails when two nodes' clocks
 * may differ by more than the plan's skew bound: frames would not be taken at one instant. */
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "commands/commands.h"
#include "commands/config_files.h"
#include "coord/clock_probe.h"
#include "coord/coordinator.h"
#include "util/chrono_clocks.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

/* The message's integer nanoseconds, and back. */
int64_t nanosField(Nanoseconds d)
{
    return d.count();
}
Nanoseconds nanosField(const nlohmann::json &value)
{
    return Nanoseconds(value.get<int64_t>());
}

constexpr int kExchanges = 50;

struct HelloOptions {
    std::string plan;
    std::string rig;
    std::optional<int64_t> maxOffsetUs;
};

std::string envOr(const char *name, const char *fallback)
{
    const char *value = std::getenv(name);
    return value && *value ? value : fallback;
}

/* Rank 0's offset to itself is zero; every other rank asks rank 0's server at each of its
 * addresses in turn until one answers. */
ClockOffset offsetToRankZero(const nlohmann::json &rank0)
{
    std::string tried;
    for (const auto &address : rank0.at("addresses")) {
        try {
            return probeClock(address.get<std::string>(), rank0.at("port").get<uint16_t>(),
                              kExchanges);
        } catch (const RunError &e) {
            tried += std::string(tried.empty() ? "" : "; ") + e.what();
        }
    }
    throw RunError("cannot reach rank 0's clock: " + tried);
}

std::string kernelSyncText(const nlohmann::json &task)
{
    if (!task.at("synced").get<bool>())
        return "unsynchronised";
    return "est " + std::to_string(task.at("esterror_us").get<long>()) + " / max " +
           std::to_string(task.at("maxerror_us").get<long>()) + " us";
}

void runHello(const HelloOptions &options)
{
    std::optional<int64_t> boundUs = options.maxOffsetUs;
    if (!options.plan.empty())
        boundUs = loadPlanAndRig(options.plan, options.rig).plan.maxSkew.count();

    const std::unique_ptr<Coordinator> coord = underPmix() ? connectPmix() : soloCoordinator();
    std::unique_ptr<ClockProbeServer> server;
    nlohmann::json where = nlohmann::json::object();
    if (coord->rank() == 0) {
        server = std::make_unique<ClockProbeServer>();
        where = {{"port", server->port()}, {"addresses", localAddresses()}};
    }
    const nlohmann::json rank0 = nlohmann::json::parse(coord->allGather(where.dump()).front());
    const ClockOffset clock = coord->rank() == 0 ? ClockOffset{} : offsetToRankZero(rank0);
    const KernelClockState kernel = kernelClockState();
    const nlohmann::json me = {{"rank", coord->rank()},
                               {"host", coord->host()},
                               {"devices", envOr("LOCKSTEP_DEVICES", "-")},
                               {"node", envOr("LOCKSTEP_NODE", "-")},
                               /* this clock minus rank 0's */
                               {"offset_ns", nanosField(-clock.offset)},
                               {"uncertainty_ns", nanosField(clock.uncertainty)},
                               {"synced", kernel.synchronised},
                               {"esterror_us", kernel.estimatedErrorUs},
                               {"maxerror_us", kernel.maximumErrorUs}};
    /* Every probe is done once every rank has contributed: the server may go after this. */
    const std::vector<std::string> all = coord->allGather(me.dump());
    server.reset();
    if (coord->rank() != 0)
        return;

    std::printf("lockstep hello: %d tasks\n", coord->size());
    std::printf("%4s  %-12s %-10s %-24s %12s %10s  %s\n", "rank", "host", "node",
                "reserved devices", "offset (us)", "+/- (us)", "kernel time sync");
    Nanoseconds earliest{0};
    Nanoseconds latest{0};
    for (const std::string &text : all) {
        const auto task = nlohmann::json::parse(text);
        const Nanoseconds offset = nanosField(task.at("offset_ns"));
        const Nanoseconds uncertainty = nanosField(task.at("uncertainty_ns"));
        earliest = std::min(earliest, offset - uncertainty);
        latest = std::max(latest, offset + uncertainty);
        std::printf("%4d  %-12s %-10s %-24s %12.1f %10.1f  %s\n", task.at("rank").get<int>(),
                    task.at("host").get<std::string>().c_str(),
                    task.at("node").get<std::string>().c_str(),
                    task.at("devices").get<std::string>().c_str(), FloatMicros(offset).count(),
                    FloatMicros(uncertainty).count(), kernelSyncText(task).c_str());
    }
    /* Two nodes' clocks may differ by as much as the widest gap between their intervals. */
    const double spreadUs = FloatMicros(latest - earliest).count();
    std::printf("clocks: any two differ by at most %.1f us\n", spreadUs);
    if (boundUs && spreadUs > static_cast<double>(*boundUs))
        throw RunError("clocks may differ by " + std::to_string(static_cast<int64_t>(spreadUs)) +
                       " us, more than the skew bound of " + std::to_string(*boundUs) +
                       " us: fix time synchronisation (chrony) before scanning");
}

} // namespace

void addHelloCommand(CLI::App &app)
{
    auto *cmd = app.add_subcommand("hello", "Cluster check: every task's PMIx rank, host, "
                                            "devices and clock offset to rank 0");
    auto options = std::make_shared<HelloOptions>();
    cmd->add_option("--plan", options->plan,
                    "fail when clocks may differ by more than this plan's max_skew_us");
    cmd->add_option("--rig", options->rig, "the plan's rig file (default: the plan's `rig:`)");
    cmd->add_option("--max-offset-us", options->maxOffsetUs,
                    "fail when two clocks may differ by more than this")
        ->check(CLI::NonNegativeNumber);
    cmd->callback([options] { runHello(*options); });
}

} // namespace lockstep
