/* lockstep validate PLAN [--rig RIG]: checks a plan and its rig without touching hardware. */
#include <CLI/CLI.hpp>
#include <cstdio>

#include "commands/commands.h"
#include "commands/config_files.h"

namespace lockstep
{

void addValidateCommand(CLI::App &app)
{
    auto *cmd =
        app.add_subcommand("validate", "Check a scan plan and its rig file; touches nothing");
    auto plan = std::make_shared<std::string>();
    auto rig = std::make_shared<std::string>();
    cmd->add_option("PLAN", *plan, "scan plan file")->required();
    cmd->add_option("--rig", *rig, "rig file (default: the plan's `rig:`)");
    cmd->callback([plan, rig] {
        const LoadedConfig config = loadPlanAndRig(*plan, *rig);
        size_t motors = 0;
        size_t cameras = 0;
        for (const NodeConfig &node : config.rig.nodes) {
            motors += node.motors.size();
            cameras += node.cameras.size();
        }
        std::printf("%s: valid: %zu positions, %u frame(s) each\n", config.plan.path.c_str(),
                    config.plan.positions.size(), config.plan.framesPerPosition);
        std::printf("%s: valid: %zu nodes, %zu motors, %zu cameras\n", config.rig.path.c_str(),
                    config.rig.nodes.size(), motors, cameras);
    });
}

} // namespace lockstep
