#include "commands/realtime_settings.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <linux/capability.h>
#include <sstream>
#include <sys/resource.h>
#include <unistd.h>

namespace lockstep
{

namespace
{

std::optional<std::string> readLine(const std::filesystem::path &path)
{
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line))
        return std::nullopt;
    return line;
}

std::optional<long> readNumber(const std::filesystem::path &path)
{
    const std::optional<std::string> line = readLine(path);
    if (!line)
        return std::nullopt;
    errno = 0;
    char *end = nullptr;
    const long value = std::strtol(line->c_str(), &end, 10);
    if (errno != 0 || end == line->c_str())
        return std::nullopt;
    return value;
}

std::string limitText(std::optional<unsigned long> limit)
{
    return limit ? std::to_string(*limit) : "unlimited";
}

std::string readFile(const std::filesystem::path &path)
{
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

uint64_t effectiveCapabilities(const std::string &status)
{
    std::istringstream in(status);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("CapEff:", 0) == 0)
            return std::strtoull(line.c_str() + 7, nullptr, 16);
    return 0;
}

RealtimeSettings readRealtimeSettings(const std::string &root)
{
    const std::filesystem::path r(root);
    RealtimeSettings s;
    s.kernelVersion = readLine(r / "proc/sys/kernel/version").value_or("");
    /* /sys/kernel/realtime exists (and reads 1) only in PREEMPT_RT kernels; uname -v names the
     * preemption model as well ("#1 SMP PREEMPT_RT ..."). */
    s.preemptRt = readNumber(r / "sys/kernel/realtime").value_or(0) == 1 ||
                  s.kernelVersion.find("PREEMPT_RT") != std::string::npos;
    s.schedRtRuntimeUs = readNumber(r / "proc/sys/kernel/sched_rt_runtime_us");
    s.schedRtPeriodUs = readNumber(r / "proc/sys/kernel/sched_rt_period_us");
    s.isolatedCpus = readLine(r / "sys/devices/system/cpu/isolated").value_or("");
    s.nohzFullCpus = readLine(r / "sys/devices/system/cpu/nohz_full").value_or("");
    if (s.nohzFullCpus == "(null)")
        s.nohzFullCpus.clear();
    std::error_code ec;
    for (const auto &entry :
         std::filesystem::directory_iterator(r / "sys/devices/system/cpu", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.size() < 4 || name.compare(0, 3, "cpu") != 0 ||
            !std::all_of(name.begin() + 3, name.end(), [](char c) { return c >= '0' && c <= '9'; }))
            continue;
        if (auto governor = readLine(entry.path() / "cpufreq/scaling_governor"))
            s.governors.push_back({std::atoi(name.c_str() + 3), *governor});
    }
    std::sort(s.governors.begin(), s.governors.end(),
              [](const CpuGovernor &a, const CpuGovernor &b) { return a.cpu < b.cpu; });
    return s;
}

RealtimeLimits currentRealtimeLimits()
{
    RealtimeLimits limits;
    rlimit rl{};
    if (getrlimit(RLIMIT_RTPRIO, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        limits.rtprio = rl.rlim_cur;
    if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        limits.memlockBytes = rl.rlim_cur;
    /* The capabilities that override both limits, from the effective set. */
    const uint64_t effective = effectiveCapabilities(readFile("/proc/self/status"));
    limits.canSetPriority = (effective >> CAP_SYS_NICE) & 1U;
    limits.canLockMemory = (effective >> CAP_IPC_LOCK) & 1U;
    return limits;
}

std::vector<Finding> judgeRealtimeSettings(const RealtimeSettings &s)
{
    std::vector<Finding> out;
    const std::string area = "realtime";
    if (s.preemptRt)
        out.push_back({Verdict::Pass, area, "PREEMPT_RT kernel (" + s.kernelVersion + ")"});
    else
        out.push_back(
            {Verdict::Warn, area,
             "not a PREEMPT_RT kernel (" +
                 (s.kernelVersion.empty() ? std::string("version unknown") : s.kernelVersion) +
                 "): wake-ups may be hundreds of us late; see docs/hardware.md"});

    if (!s.schedRtRuntimeUs)
        out.push_back({Verdict::Skip, area, "sched_rt_runtime_us: not readable"});
    else if (*s.schedRtRuntimeUs < 0)
        out.push_back({Verdict::Pass, area, "sched_rt_runtime_us -1: no real-time throttling"});
    else
        out.push_back(
            {Verdict::Warn, area,
             "sched_rt_runtime_us " + std::to_string(*s.schedRtRuntimeUs) + " of " +
                 std::to_string(s.schedRtPeriodUs.value_or(1'000'000)) +
                 ": SCHED_FIFO threads are held back for the rest of each period (the executor "
                 "yields to avoid it); sysctl kernel.sched_rt_runtime_us=-1"});

    if (!s.isolatedCpus.empty())
        out.push_back({Verdict::Pass, area,
                       "isolated cpus " + s.isolatedCpus +
                           (s.nohzFullCpus.empty() ? "" : ", nohz_full " + s.nohzFullCpus)});
    else
        out.push_back({Verdict::Warn, area,
                       "no isolated cpu: the executor shares its core with other processes; "
                       "isolcpus=3 nohz_full=3 in cmdline.txt"});

    if (s.governors.empty()) {
        out.push_back({Verdict::Skip, area, "cpufreq governor: no cpufreq on this machine"});
    } else {
        std::string others;
        for (const CpuGovernor &g : s.governors)
            if (g.governor != "performance")
                others += (others.empty() ? "" : ", ") + std::string("cpu") +
                          std::to_string(g.cpu) + " " + g.governor;
        if (others.empty())
            out.push_back({Verdict::Pass, area, "cpufreq governor performance on every cpu"});
        else
            out.push_back({Verdict::Warn, area,
                           "cpufreq governor " + others +
                               ": frequency changes delay wake-ups; use performance"});
    }
    return out;
}

std::vector<Finding> judgeRealtimeLimits(const RealtimeLimits &limits, int priority)
{
    std::vector<Finding> out;
    const std::string area = "realtime";
    const std::string rtprio = "RLIMIT_RTPRIO " + limitText(limits.rtprio);
    if (limits.canSetPriority)
        out.push_back({Verdict::Pass, area, rtprio + ", CAP_SYS_NICE: SCHED_FIFO allowed"});
    else if (!limits.rtprio || *limits.rtprio >= static_cast<unsigned long>(priority))
        out.push_back({Verdict::Pass, area,
                       rtprio + ": SCHED_FIFO " + std::to_string(priority) + " allowed"});
    else
        out.push_back({Verdict::Fail, area,
                       rtprio + ": the executor's SCHED_FIFO " + std::to_string(priority) +
                           " is refused; LimitRTPRIO=99 for slurmd and "
                           "PropagateResourceLimitsExcept=RTPRIO,MEMLOCK (docs/hardware.md)"});

    const std::string memlock = "RLIMIT_MEMLOCK " + limitText(limits.memlockBytes);
    if (limits.canLockMemory)
        out.push_back({Verdict::Pass, area, memlock + ", CAP_IPC_LOCK: memory can be locked"});
    else if (!limits.memlockBytes || *limits.memlockBytes >= kExecutorLockBytes)
        out.push_back({Verdict::Pass, area, memlock + ": the executor's 1 MiB can be locked"});
    else
        out.push_back({Verdict::Fail, area,
                       memlock + ": below the 1 MiB the executor locks; LimitMEMLOCK for slurmd "
                                 "(docs/hardware.md)"});
    return out;
}

} // namespace lockstep
