#include "coord/host_name.h"

#include <unistd.h>

#include <climits>

namespace lockstep
{

std::string localHostName()
{
    char name[HOST_NAME_MAX + 1] = {};
    if (gethostname(name, sizeof(name) - 1) != 0)
        return "localhost";
    return name;
}

} // namespace lockstep
