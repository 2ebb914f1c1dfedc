/* lockstep scan PLAN --out DIR: one task per node, started by srun --mpi=pmix or mpirun. */
#include <CLI/CLI.hpp>

#include "commands/commands.h"
#include "scan/scan_runner.h"
#include "util/signal_guard.h"

namespace lockstep
{

void addScanCommand(CLI::App &app)
{
    auto options = std::make_shared<ScanOptions>();
    auto *cmd = app.add_subcommand(
        "scan", "Run a scan plan: one task per node (srun --mpi=pmix, or mpirun for a sim rig)");
    cmd->add_option("PLAN", options->plan, "scan plan file")->required();
    cmd->add_option("--rig", options->rig, "rig file (default: the plan's `rig:`)");
    cmd->add_option("--out", options->out, "output directory (the shared NFS export)")->required();
    cmd->add_flag("--resume", options->resume,
                  "continue an interrupted scan from its manifest, losing and repeating no frame");
    cmd->add_option("--node", options->node, "this node's name in the rig (default: hostname)");
    cmd->add_flag("--node-by-rank", options->nodeByRank,
                  "simulated rig on one machine: process rank i plays the rig's node i");
    cmd->add_option("--writers", options->writerThreads, "encoder/writer threads per node")
        ->check(CLI::Range(1, 16));
    cmd->add_option("--writer-queue", options->writerQueue,
                    "frames that may wait for the writers per node (bounds memory)")
        ->check(CLI::Range(1, 256));
    cmd->callback([options] {
        SignalGuard signals;
        commandStatus() = runScan(*options, signals);
    });
}

} // namespace lockstep
