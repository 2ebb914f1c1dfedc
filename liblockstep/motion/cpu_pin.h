/* Pinning the step executor's thread to one core with hwloc, and keeping the process's other
 * threads (the main thread, JPEG writers, camera threads) off that core. */
#pragma once

#include <string>

#include <hwloc.h>

namespace lockstep
{

/* The CPU for the step executor: the last core that intersects `allowed` (the main thread and
 * the kernel's housekeeping tend to use the first), singlified to one processing unit so that
 * the thread never migrates between hyper-threads. Returns its OS index, -1 if none. */
int chooseExecutorCpu(hwloc_topology_t topology, hwloc_const_cpuset_t allowed);

/* Splits `allowed` between the step executor and the process's other threads: returns
 * chooseExecutorCpu() and sets `others` to `allowed` without the executor's core, or without
 * only its CPU when the core's hyper-threads are all that is allowed. `others` is empty when
 * the executor's CPU is the only one allowed, or when none is (then -1). */
int splitForExecutor(hwloc_topology_t topology, hwloc_const_cpuset_t allowed,
                     hwloc_bitmap_t others);

struct CoreReservation {
    int cpu = -1;          /* the calling thread's CPU, -1 if it could not be pinned */
    bool isolated = false; /* the process's other threads keep off it */
    std::string problem;   /* why it is not pinned, or why not isolated */
};

/* Pins the calling thread (the step executor's) to splitForExecutor()'s CPU of what the process
 * may use (the topology's allowed set, e.g. a Slurm cgroup, and the thread's current binding),
 * and binds every other thread of the process to the rest; threads created later inherit that
 * from their creator. Another executor that holds a reservation keeps its core. Failing to bind
 * the other threads leaves the pin in place: never fatal. */
CoreReservation reserveCoreForCallingThread();

/* Ends the calling thread's reservation, if it holds one: the other threads get the CPUs back. */
void releaseCoreOfCallingThread() noexcept;

} // namespace lockstep
