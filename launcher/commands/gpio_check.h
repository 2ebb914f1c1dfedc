/* The GPIO part of `lockstep selftest`: the header chip found by its label, and each line the
 * node's rig entry names free or claimed, and by whom. Only reads line information: nothing is
 * requested, so nothing is driven. */
#pragma once

#include <string>
#include <vector>

#include "commands/selftest_report.h"
#include "config/rig.h"

namespace lockstep
{

struct ConfiguredLine {
    unsigned offset = 0;
    std::string use; /* "turntable STEP" */
};

/* Every line of the node's motors, in rig order, a line shared by two motors once. */
std::vector<ConfiguredLine> configuredLines(const NodeConfig &node);

/* Who holds a line: nobody, lockstep (its consumer name), or someone else. */
struct LineHolder {
    bool used = false;
    std::string consumer; /* the kernel's consumer label; simulated lines: "NAME pid N" */
};

/* PASS free, PASS held by lockstep (a job's request through the SPANK plugin), FAIL held by
 * anything else: lockstep could not request it. */
Finding judgeLine(const ConfiguredLine &line, const LineHolder &holder);

/* The whole check for the node (real chip or simulated lines). */
std::vector<Finding> checkGpio(const RigConfig &rig, const NodeConfig &node);

} // namespace lockstep
