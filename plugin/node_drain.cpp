#include "node_drain.h"

#include <array>
#include <chrono>
#include <csignal>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char **environ;

namespace lockstep::spank
{

namespace
{

/* Where Debian and a source install put scontrol: never looked up through a PATH. */
constexpr std::array<const char *, 2> kScontrol = {"/usr/bin/scontrol", "/usr/local/bin/scontrol"};
constexpr auto kLimit = std::chrono::seconds(15);

std::string printable(const std::string &text, size_t max)
{
    std::string out;
    for (const char c : text) {
        if (out.size() >= max)
            break;
        out += c >= 0x20 && c < 0x7f ? c : '?';
    }
    return out;
}

} // namespace

std::string drainNode(const std::string &node, const std::string &reason) noexcept
{
    try {
        const char *scontrol = nullptr;
        for (const char *path : kScontrol)
            if (access(path, X_OK) == 0) {
                scontrol = path;
                break;
            }
        if (!scontrol)
            return "cannot drain " + node + ": no scontrol in /usr/bin or /usr/local/bin";
        std::string nodeArg = "NodeName=" + printable(node, 100);
        std::string stateArg = "State=DRAIN";
        std::string reasonArg = "Reason=" + printable("lockstep: " + reason, 200);
        std::string update = "update";
        std::vector<char *> argv = {const_cast<char *>(scontrol),
                                    update.data(),
                                    nodeArg.data(),
                                    stateArg.data(),
                                    reasonArg.data(),
                                    nullptr};
        pid_t pid = 0;
        if (posix_spawn(&pid, scontrol, nullptr, nullptr, argv.data(), environ) != 0)
            return "cannot drain " + node + ": cannot start " + scontrol;
        const auto deadline = std::chrono::steady_clock::now() + kLimit;
        int status = 0;
        pid_t done = 0;
        while ((done = waitpid(pid, &status, WNOHANG)) == 0 &&
               std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (done == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return "cannot drain " + node + ": scontrol did not answer within 15 s";
        }
        if (done < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return "cannot drain " + node + ": scontrol failed";
        return "node " + node + " drained: " + reasonArg.substr(7);
    } catch (...) {
        return "cannot drain " + node;
    }
}

} // namespace lockstep::spank
