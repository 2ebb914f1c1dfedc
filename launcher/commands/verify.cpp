/* lockstep verify DIR: exit 0 only if every scan under DIR is complete and true. */
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "commands/commands.h"
#include "commands/scan_dirs.h"
#include "scan/verifier.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

void printResult(const VerifyResult &r)
{
    std::printf("%s: %zu frames checked, %zu angles read from pixels (worst error %.2f deg, "
                "scene zero at %.2f deg)\n",
                r.scanRoot.c_str(), r.framesChecked, r.anglesChecked, r.worstAngleErrorDeg,
                r.simZeroOffsetDeg);
    if (r.rowChecksSkipped > 0)
        std::printf("%s: %zu frames under %u rows read whole: too small to tell the top rows' "
                    "angle from the bottom rows'\n",
                    r.scanRoot.c_str(), r.rowChecksSkipped, kMinRowsForRowCheck);
    std::printf("%s: skew between cameras per position: p50 %.0f us, p99 %.0f us, max %.0f us\n",
                r.scanRoot.c_str(), r.skew.p50Us, r.skew.p99Us, r.skew.maxUs);
    for (const std::string &p : r.problems)
        std::printf("%s: FAIL: %s\n", r.scanRoot.c_str(), p.c_str());
    std::printf("%s: %s\n", r.scanRoot.c_str(), r.ok() ? "OK" : "FAILED");
}

} // namespace

void addVerifyCommand(CLI::App &app)
{
    auto dir = std::make_shared<std::string>();
    auto options = std::make_shared<VerifyOptions>();
    auto *cmd = app.add_subcommand("verify", "Check that a scan is complete and true");
    cmd->add_option("DIR", *dir, "a scan folder, or the --out folder holding scans")->required();
    cmd->add_option("--max-skew-us", options->maxSkewUs,
                    "largest allowed capture skew within a position (default: the plan's "
                    "max_skew_us)");
    cmd->add_option("--angle-tolerance", options->angleToleranceDeg,
                    "sim frames: allowed angle error, degrees");
    cmd->callback([dir, options] {
        bool ok = true;
        for (const std::string &root : scanRoots(*dir)) {
            const VerifyResult result = verifyScan(root, *options);
            printResult(result);
            ok = ok && result.ok();
        }
        commandStatus() = ok ? kExitOk : kExitFailure;
    });
}

} // namespace lockstep
