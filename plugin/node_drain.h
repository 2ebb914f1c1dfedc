/* Drains this Slurm node (scontrol update State=DRAIN) so that the scheduler sends no more jobs
 * to a node with a device that could not be made safe. */
#pragma once

#include <string>

namespace lockstep::spank
{

/* Runs `scontrol update NodeName=<node> State=DRAIN Reason=<reason>` (no shell; the reason is
 * cut to printable ASCII and 200 characters) and waits for it at most 15 s. Returns what
 * happened, for the log; throws nothing. */
std::string drainNode(const std::string &node, const std::string &reason) noexcept;

} // namespace lockstep::spank
