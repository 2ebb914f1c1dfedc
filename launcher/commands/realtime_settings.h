/* A node's real-time settings as the kernel reports them in /proc and /sys, and what they mean
 * for the step executor (docs/hardware.md, "Pi OS settings for timing"). Read below a root
 * directory so that tests can give fixture trees. */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "commands/selftest_report.h"

namespace lockstep
{

struct CpuGovernor {
    int cpu = 0;
    std::string governor;
};

struct RealtimeSettings {
    std::string kernelVersion;            /* /proc/sys/kernel/version (uname -v) */
    bool preemptRt = false;               /* /sys/kernel/realtime is 1, or PREEMPT_RT */
    std::optional<long> schedRtRuntimeUs; /* /proc/sys/kernel/sched_rt_runtime_us */
    std::optional<long> schedRtPeriodUs;  /* /proc/sys/kernel/sched_rt_period_us */
    std::string isolatedCpus;             /* /sys/devices/system/cpu/isolated: "3", "2-3" */
    std::string nohzFullCpus;             /* /sys/devices/system/cpu/nohz_full */
    std::vector<CpuGovernor> governors;   /* cpuN/cpufreq/scaling_governor; none: no cpufreq */
};

/* Reads the settings below `root` ("/" on a node). Missing files leave their fields empty. */
RealtimeSettings readRealtimeSettings(const std::string &root);

/* Process limits as getrlimit reports them (RLIM_INFINITY as nullopt). */
struct RealtimeLimits {
    std::optional<unsigned long> rtprio;
    std::optional<unsigned long> memlockBytes;
    bool canSetPriority = false; /* CAP_SYS_NICE (root): RLIMIT_RTPRIO does not apply */
    bool canLockMemory = false;  /* CAP_IPC_LOCK (root): RLIMIT_MEMLOCK does not apply */
};
RealtimeLimits currentRealtimeLimits();

/* The effective capability set from a /proc/PID/status text ("CapEff:\t<hex>"); 0 if absent. */
uint64_t effectiveCapabilities(const std::string &status);

/* The executor locks its own stack and buffers: this much must be lockable. */
constexpr unsigned long kExecutorLockBytes = 1UL << 20;

/* One finding per setting. `priority` is the rig's executor priority. */
std::vector<Finding> judgeRealtimeSettings(const RealtimeSettings &settings);
std::vector<Finding> judgeRealtimeLimits(const RealtimeLimits &limits, int priority);

} // namespace lockstep
