/* A device that could not be made safe (a motor whose ENABLE could not be driven inactive, or a
 * device some process outside its step still held when the step ended) is marked unsafe:
 * <lockdir>/<node>.<device>.unsafe, a root-only file with the reason. Every later reservation
 * of that device is refused until an administrator has checked the hardware and removed the
 * file (docs/slurm.md, "When a device is marked unsafe"). */
#pragma once

#include <optional>
#include <string>

namespace lockstep::spank
{

std::string unsafeMarkName(const std::string &node, const std::string &device);

/* Why the device is marked unsafe, or nullopt if it is not. A mark that cannot be read counts
 * as unsafe. */
std::optional<std::string> unsafeReason(int lockDir, const std::string &node,
                                        const std::string &device);

/* Marks the device unsafe (keeps the first reason if it already is). Throws RunError. */
void markUnsafe(int lockDir, const std::string &node, const std::string &device,
                const std::string &reason);

} // namespace lockstep::spank
