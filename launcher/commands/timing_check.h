/* The timing part of `lockstep selftest`: how late a real-time thread wakes here (what
 * cyclictest measures: absolute sleeps of a fixed interval on CLOCK_MONOTONIC, SCHED_FIFO), and,
 * on a spare line the user names with --toggle, the cost of one GPIO set and how late the step
 * executor's edges are on this node. */
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "commands/selftest_report.h"
#include "config/rig.h"

namespace lockstep
{

struct WakeupFigures {
    size_t samples = 0;
    std::chrono::nanoseconds median{0};
    std::chrono::nanoseconds p99{0};
    std::chrono::nanoseconds max{0};
    bool fifo = false; /* the measuring thread ran SCHED_FIFO */
};

/* Sleeps to absolute instants `interval` apart for `duration` in a thread at SCHED_FIFO
 * `priority` (or SCHED_OTHER if refused), and measures each wake-up's lateness. */
WakeupFigures measureWakeups(std::chrono::nanoseconds duration, std::chrono::nanoseconds interval,
                             int priority);

/* Against the node's wakeup_latency_us (what its step rate is validated with): PASS within it,
 * WARN beyond (the rig promises more than this node does). */
Finding judgeWakeups(const WakeupFigures &figures, double rigLatencyUs);

/* Throws InputError for a line the node's rig entry uses or one outside its chip's range. */
void requireSpareLine(const RigConfig &rig, const NodeConfig &node, unsigned line);

/* --toggle LINE: refuses (InputError) a line the node's rig entry uses or one outside its chip's
 * range; then sets it 20000 times, runs the executor on it (its only line: DIR and ENABLE go
 * nowhere) for a move at the node's fastest motor's step rate and acceleration (1000 steps/s
 * without motors), about a second long, and leaves it low. */
std::vector<Finding> checkSpareLine(const RigConfig &rig, const NodeConfig &node, unsigned line);

} // namespace lockstep
