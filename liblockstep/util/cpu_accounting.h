/* Where a thread's time went when it was late: the counters that tell "another thread or
 * process preempted us" from "the hypervisor took the CPU away". Read outside timed loops. */
#pragma once

#include <string>

#include "util/chrono_clocks.h"

namespace lockstep
{

struct CpuAccounting {
    Nanoseconds stolen{0};        /* all CPUs' steal time (/proc/stat), 0 where not reported */
    long involuntarySwitches = 0; /* the calling thread's, since it started */

    /* The counters now, for the calling thread. */
    static CpuAccounting now();
    /* "N involuntary context switches, M ms of CPU stolen by the hypervisor" since `before`. */
    static std::string describeSince(const CpuAccounting &before);
};

} // namespace lockstep
