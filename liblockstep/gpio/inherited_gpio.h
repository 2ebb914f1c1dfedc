/* GPIO line requests a process inherits instead of opening a chip: lockstep's SPANK plugin
 * requests the lines of the motors a job step reserved (as root, in slurmstepd) and each task
 * inherits the request descriptors across exec, named in the environment:
 *
 *   LOCKSTEP_GPIO_FD=<fd>:<v1|v2>:<offset>,<offset>,...[;<fd>:<v1|v2>:<offsets>...]
 *
 * one entry per request (uAPI v2: one; v1: one handle for outputs, one for inputs), offsets in
 * the request's order. With it set, the real GPIO backend drives these requests and never opens
 * a chip, so a task can reach exactly the lines listed and no other. */
#pragma once

#include <string>
#include <vector>

#include "gpio/uapi_lines.h"

namespace lockstep
{

inline constexpr const char *kInheritedGpioVariable = "LOCKSTEP_GPIO_FD";

/* The variable's value for these requests. */
std::string describeInheritedGpio(const std::vector<UapiRequest> &requests);

/* Parses the variable's value. The descriptors are not owned (UapiRequest::fd holds the number;
 * release() it or let it close). Throws InputError naming what is wrong. */
std::vector<UapiRequest> parseInheritedGpio(const std::string &text);

/* The requests this process inherited, parsed from the environment once and kept for the
 * process's life (several motor groups may be opened one after another); each descriptor is
 * made close-on-exec, so nothing this process starts inherits the lines. nullptr if the
 * variable is not set. Throws InputError if it is malformed or a descriptor is not open. */
const std::vector<UapiRequest> *inheritedGpioRequests();

} // namespace lockstep
