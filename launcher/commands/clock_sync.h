/* Whether this node's CLOCK_REALTIME is disciplined: which time daemon runs (chrony, ptp4l with
 * phc2sys, ntpd, systemd-timesyncd), and what the kernel's clock discipline says of itself
 * (adjtimex: the unsynchronised flag, estimated and maximum error). Frames of different Pis are
 * taken at one instant only as far as their clocks agree. */
#pragma once

#include <string>
#include <vector>

#include "commands/selftest_report.h"
#include "coord/clock_probe.h"

namespace lockstep
{

/* The time daemons among the processes below `procDir` ("/proc"), by their comm names, sorted,
 * each once. */
std::vector<std::string> runningTimeDaemons(const std::string &procDir);

/* `nodes`: how many nodes the rig has. One node's clock needs no agreement with another's: an
 * unsynchronised clock is a warning there and a failure in a rig of several. */
std::vector<Finding> judgeClockSync(const std::vector<std::string> &daemons,
                                    const KernelClockState &kernel, size_t nodes);

} // namespace lockstep
