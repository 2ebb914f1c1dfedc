/* lockstep report DIR: contact sheet, timing pictures and an HTML page per scan. */
#include <CLI/CLI.hpp>
#include <cstdio>

#include "commands/commands.h"
#include "commands/scan_dirs.h"
#include "report/report_page.h"

namespace lockstep
{

void addReportCommand(CLI::App &app)
{
    auto dir = std::make_shared<std::string>();
    auto *cmd =
        app.add_subcommand("report", "Write a scan's contact sheet, timing pictures and HTML page");
    cmd->add_option("DIR", *dir, "a scan folder, or the --out folder holding scans")->required();
    cmd->callback([dir] {
        for (const std::string &root : scanRoots(*dir))
            std::printf("%s: report written: %s\n", root.c_str(), writeReport(root).c_str());
    });
}

} // namespace lockstep
