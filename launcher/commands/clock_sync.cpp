#include "commands/clock_sync.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>

namespace lockstep
{

std::vector<std::string> runningTimeDaemons(const std::string &procDir)
{
    /* comm is at most 15 characters: "systemd-timesyncd" reads "systemd-timesyn". */
    static const std::array<std::string, 6> kDaemons{"chronyd", "ptp4l",      "phc2sys",
                                                     "ntpd",    "timemaster", "systemd-timesyn"};
    std::vector<std::string> found;
    std::error_code ec;
    for (const auto &entry : std::filesystem::directory_iterator(procDir, ec)) {
        const std::string pid = entry.path().filename().string();
        if (pid.empty() ||
            !std::all_of(pid.begin(), pid.end(), [](char c) { return c >= '0' && c <= '9'; }))
            continue;
        std::ifstream in(entry.path() / "comm");
        std::string comm;
        if (!std::getline(in, comm))
            continue;
        if (std::find(kDaemons.begin(), kDaemons.end(), comm) != kDaemons.end())
            found.push_back(comm);
    }
    std::sort(found.begin(), found.end());
    found.erase(std::unique(found.begin(), found.end()), found.end());
    return found;
}

std::vector<Finding> judgeClockSync(const std::vector<std::string> &daemons,
                                    const KernelClockState &kernel, size_t nodes)
{
    std::vector<Finding> out;
    const std::string area = "clock";
    std::string names;
    for (const std::string &d : daemons)
        names += (names.empty() ? "" : ", ") + d;
    const Verdict missing = nodes > 1 ? Verdict::Fail : Verdict::Warn;
    if (names.empty())
        out.push_back({missing, area,
                       "no time daemon runs (chronyd, ptp4l, ntpd, systemd-timesyncd); the "
                       "provisioning playbook sets up chrony"});
    else
        out.push_back({Verdict::Pass, area, "time daemon: " + names});

    const std::string errors = "est error " + std::to_string(kernel.estimatedErrorUs) +
                               " us, max error " + std::to_string(kernel.maximumErrorUs) + " us";
    if (!kernel.synchronised)
        out.push_back({missing, area,
                       "kernel clock unsynchronised (adjtimex STA_UNSYNC; " + errors +
                           "): `chronyc tracking` says why"});
    else
        out.push_back({Verdict::Pass, area, "kernel clock synchronised, " + errors});
    return out;
}

} // namespace lockstep
