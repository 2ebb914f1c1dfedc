/* Runs a function in a forked child and hands back its exit status: how the tests play "another
 * process" (the SPANK plugin, a second job). The child never returns into the test runner. */
#pragma once

#include <functional>

#include <sys/wait.h>
#include <unistd.h>

inline int runInChild(const std::function<int()> &body)
{
    const pid_t pid = fork();
    if (pid == 0) {
        int status = 1;
        try {
            status = body();
        } catch (...) {
            status = 100;
        }
        _exit(status);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
