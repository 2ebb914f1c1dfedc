#include "util/cpu_accounting.h"

#include <cstdio>
#include <sys/resource.h>
#include <unistd.h>

namespace lockstep
{

namespace
{

/* The "cpu" line of /proc/stat: user nice system idle iowait irq softirq steal ..., in ticks. */
Nanoseconds stolenSinceBoot()
{
    std::FILE *f = std::fopen("/proc/stat", "r");
    if (f == nullptr)
        return Nanoseconds::zero();
    unsigned long long field[8] = {};
    const int read =
        std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &field[0], &field[1],
                    &field[2], &field[3], &field[4], &field[5], &field[6], &field[7]);
    std::fclose(f);
    const long ticksPerSecond = sysconf(_SC_CLK_TCK);
    if (read != 8 || ticksPerSecond <= 0)
        return Nanoseconds::zero();
    const Nanoseconds tick = Nanoseconds(std::chrono::seconds(1)) / ticksPerSecond;
    return tick * static_cast<int64_t>(field[7]);
}

} // namespace

CpuAccounting CpuAccounting::now()
{
    CpuAccounting a;
    a.stolen = stolenSinceBoot();
    rusage usage{};
    if (getrusage(RUSAGE_THREAD, &usage) == 0)
        a.involuntarySwitches = usage.ru_nivcsw;
    return a;
}

std::string CpuAccounting::describeSince(const CpuAccounting &before)
{
    const CpuAccounting after = now();
    char text[160];
    std::snprintf(text, sizeof text,
                  "%ld involuntary context switches, %.0f ms of CPU stolen by the hypervisor",
                  after.involuntarySwitches - before.involuntarySwitches,
                  FloatMillis(after.stolen - before.stolen).count());
    return text;
}

} // namespace lockstep
