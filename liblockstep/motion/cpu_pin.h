/* Pinning the step executor's thread to one core with hwloc, away from the main thread. */
#pragma once

#include <string>

#include <hwloc.h>

namespace lockstep
{

/* The CPU for the step executor: the last core that intersects `allowed` (the main thread and
 * the kernel's housekeeping tend to use the first), singlified to one processing unit so that
 * the thread never migrates between hyper-threads. Returns its OS index, -1 if none. */
int chooseExecutorCpu(hwloc_topology_t topology, hwloc_const_cpuset_t allowed);

/* Binds the calling thread to chooseExecutorCpu() of this machine, within what the process may
 * use (the topology's allowed set, e.g. a Slurm cgroup, and the thread's current binding).
 * Returns the CPU, or -1 with `error` saying why. */
int pinCallingThread(std::string &error);

} // namespace lockstep
