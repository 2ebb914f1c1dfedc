#include "device_holders.h"

#include <array>
#include <chrono>
#include <csignal>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace lockstep::spank
{

namespace
{

bool isNumber(const char *name)
{
    if (!*name)
        return false;
    for (; *name; ++name)
        if (*name < '0' || *name > '9')
            return false;
    return true;
}

std::vector<std::string> numericEntries(const std::string &dir)
{
    std::vector<std::string> names;
    DIR *listing = opendir(dir.c_str());
    if (!listing)
        return names;
    while (const dirent *entry = readdir(listing))
        if (isNumber(entry->d_name))
            names.emplace_back(entry->d_name);
    closedir(listing);
    return names;
}

bool sameFile(const struct stat &want, const struct stat &have)
{
    if (S_ISCHR(want.st_mode))
        return S_ISCHR(have.st_mode) && have.st_rdev == want.st_rdev;
    return have.st_dev == want.st_dev && have.st_ino == want.st_ino;
}

bool belongsToJob(const std::string &procDir, unsigned jobId, long stepId)
{
    std::ifstream in(procDir + "/environ", std::ios::binary);
    const std::string job = "SLURM_JOB_ID=" + std::to_string(jobId);
    const std::string step = "SLURM_STEP_ID=" + std::to_string(stepId);
    bool jobSeen = false;
    bool stepSeen = stepId == kAnyStep;
    std::string entry;
    while (std::getline(in, entry, '\0')) {
        jobSeen |= entry == job;
        stepSeen |= entry == step;
    }
    return jobSeen && stepSeen;
}

} // namespace

std::string DeviceHolder::str() const
{
    return "process " + std::to_string(pid) + " (" + command + ", uid " + std::to_string(uid) + ")";
}

namespace
{

std::string linkTarget(const std::string &path)
{
    std::array<char, 512> target = {};
    const ssize_t n = readlink(path.c_str(), target.data(), target.size() - 1);
    return n > 0 ? std::string(target.data(), static_cast<size_t>(n)) : std::string();
}

/* Every process but this one holding an open file for which `matches(path in /proc/<pid>/fd)`
 * is true, whose environment names the job and step. */
template <typename Match>
std::vector<DeviceHolder> findHolders(const Match &matches, unsigned jobId, long stepId,
                                      const std::string &procRoot)
{
    std::vector<DeviceHolder> holders;
    const std::string self = std::to_string(getpid());
    for (const std::string &pid : numericEntries(procRoot)) {
        if (pid == self)
            continue;
        const std::string procDir = procRoot + "/" + pid;
        bool holds = false;
        for (const std::string &fd : numericEntries(procDir + "/fd")) {
            if (matches(procDir + "/fd/" + fd)) {
                holds = true;
                break;
            }
        }
        if (!holds || !belongsToJob(procDir, jobId, stepId))
            continue;
        DeviceHolder holder;
        holder.pid = static_cast<pid_t>(std::stol(pid));
        struct stat proc = {};
        if (stat(procDir.c_str(), &proc) == 0)
            holder.uid = proc.st_uid;
        std::ifstream comm(procDir + "/comm");
        std::getline(comm, holder.command);
        holders.push_back(holder);
    }
    return holders;
}

} // namespace

std::vector<DeviceHolder> findJobHolders(const std::string &file, unsigned jobId, long stepId,
                                         const std::string &procRoot)
{
    struct stat want = {};
    /* lstat: the simulated state lives in a directory jobs write to. */
    if (lstat(file.c_str(), &want) != 0 || !(S_ISREG(want.st_mode) || S_ISCHR(want.st_mode)))
        return {};
    return findHolders(
        [&](const std::string &path) {
            struct stat have = {};
            return stat(path.c_str(), &have) == 0 && sameFile(want, have);
        },
        jobId, stepId, procRoot);
}

std::vector<DeviceHolder> findJobHoldersOfFd(int fd, unsigned jobId, long stepId,
                                             const std::string &procRoot)
{
    struct stat want = {};
    const std::string name = linkTarget("/proc/self/fd/" + std::to_string(fd));
    if (fstat(fd, &want) != 0 || name.empty())
        return {};
    return findHolders(
        [&](const std::string &path) {
            struct stat have = {};
            return stat(path.c_str(), &have) == 0 && have.st_dev == want.st_dev &&
                   have.st_ino == want.st_ino && linkTarget(path) == name;
        },
        jobId, stepId, procRoot);
}

std::vector<DeviceHolder> findJobProcesses(unsigned jobId, long stepId, const std::string &procRoot)
{
    return findHolders([](const std::string &) { return true; }, jobId, stepId, procRoot);
}

std::vector<DeviceHolder> killHolders(const std::vector<DeviceHolder> &holders)
{
    for (const DeviceHolder &holder : holders)
        kill(holder.pid, SIGKILL);
    std::vector<DeviceHolder> left;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    for (const DeviceHolder &holder : holders) {
        const std::string dir = "/proc/" + std::to_string(holder.pid) + "/fd";
        /* Gone, or a zombie whose files are closed (an empty fd directory). */
        while (!numericEntries(dir).empty() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (!numericEntries(dir).empty())
            left.push_back(holder);
    }
    return left;
}

} // namespace lockstep::spank
