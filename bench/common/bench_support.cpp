#include "common/bench_support.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <stdexcept>

extern char **environ;

namespace lockstep::bench
{

namespace
{

/* The value of the first "prefix...: value" line of a file such as /proc/cpuinfo. */
std::optional<std::string> firstLineOf(const std::string &path, const std::string &prefix)
{
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(prefix, 0) == 0)
            return line.substr(line.find(':') + 2);
    return std::nullopt;
}

/* x86 names the CPU in "model name"; a Raspberry Pi's arm64 kernel names only the board, in
 * "Model". */
std::string cpuModel()
{
    if (auto model = firstLineOf("/proc/cpuinfo", "model name"))
        return *model;
    return firstLineOf("/proc/cpuinfo", "Model").value_or("unknown CPU");
}

std::string kernel()
{
    utsname name{};
    uname(&name);
    return std::string(name.sysname) + " " + name.release + " " + name.machine;
}

std::string hostName()
{
    utsname name{};
    uname(&name);
    return name.nodename;
}

} // namespace

std::string fixed(double value, int decimals)
{
    std::array<char, 32> text{};
    std::snprintf(text.data(), text.size(), "%.*f", decimals, value);
    return text.data();
}

std::string loadAverage()
{
    std::string line;
    std::getline(std::ifstream("/proc/loadavg"), line);
    return line;
}

std::string oneMinuteLoad()
{
    const std::string line = loadAverage();
    const std::string load = line.substr(0, line.find(' '));
    return load.empty() ? "unknown" : load;
}

std::string machine()
{
    return cpuModel() + ", " + std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " CPUs online, " +
           kernel();
}

std::string hostAndLoad()
{
    return hostName() + ", " + kernel() + ", " + cpuModel() + ", " +
           std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " CPUs, load " + loadAverage();
}

int run(const std::vector<std::string> &args, const std::string &output)
{
    std::vector<char *> argv;
    argv.reserve(args.size() + 1);
    for (const std::string &arg : args)
        argv.push_back(const_cast<char *>(arg.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = 0;
    const int error = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0)
        throw std::runtime_error(args[0] + ": " + std::strerror(error));
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace lockstep::bench
