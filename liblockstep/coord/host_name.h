/* The name of this machine as the kernel knows it (gethostname), for coordinators that get no
 * host name from their launcher. */
#pragma once

#include <string>

namespace lockstep
{

std::string localHostName();

} // namespace lockstep
