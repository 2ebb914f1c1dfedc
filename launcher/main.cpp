/* lockstep: synchronised capture and stepper motion on a cluster of Raspberry Pis.
 * The dispatcher: parses the command line, runs one command, maps errors to exit statuses
 * (bad input 2, run failure 1). */
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "commands/commands.h"
#include "config/diagnostic.h"
#include "util/errors.h"

using namespace lockstep;

int &lockstep::commandStatus()
{
    static int status = kExitOk;
    return status;
}

int main(int argc, char **argv)
{
    /* Progress must show while a motor turns, also under srun or into a file. */
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    CLI::App app{"lockstep: a camera array and stepper motors on a cluster of Raspberry Pis"};
    app.set_version_flag("--version", LOCKSTEP_VERSION);
    app.require_subcommand(1);
    addValidateCommand(app);
    addMoveCommands(app);
    addScanCommand(app);
    addVerifyCommand(app);
    addReportCommand(app);
    addHelloCommand(app);
    addSelftestCommand(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp &e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp &e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion &e) {
        return app.exit(e);
    } catch (const CLI::ParseError &e) {
        app.exit(e);
        return kExitBadInput;
    } catch (const ConfigError &e) {
        std::fprintf(stderr, "%s\n", e.what());
        std::fprintf(stderr, "lockstep: %zu configuration error%s; nothing was moved\n",
                     e.diagnostics().size(), e.diagnostics().size() == 1 ? "" : "s");
        return kExitBadInput;
    } catch (const InputError &e) {
        std::fprintf(stderr, "lockstep: %s\n", e.what());
        return kExitBadInput;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "lockstep: error: %s\n", e.what());
        return kExitFailure;
    }
    return commandStatus();
}
