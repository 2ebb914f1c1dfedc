/* Each lockstep command registers its options and its action on the dispatcher's CLI11 app. */
#pragma once

namespace CLI
{
class App;
}

namespace lockstep
{

void addValidateCommand(CLI::App &app);
void addMoveCommands(CLI::App &app); /* move and home */
void addScanCommand(CLI::App &app);
void addVerifyCommand(CLI::App &app);
void addReportCommand(CLI::App &app);
void addHelloCommand(CLI::App &app);
void addSelftestCommand(CLI::App &app); /* what works on this node */

/* Set by a command's action: the process exit status. */
int &commandStatus();

} // namespace lockstep
