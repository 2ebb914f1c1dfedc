#include "scan/thread_priorities.h"

#include <algorithm>
#include <pthread.h>
#include <sched.h>

namespace lockstep
{

ScanThreadPriorities scanThreadPriorities(int executorPriority)
{
    const int lowest = sched_get_priority_min(SCHED_FIFO);
    const auto below = [&](int levels) {
        const int priority = executorPriority - levels;
        return priority >= lowest ? priority : 0;
    };
    return {below(1), below(2)};
}

void raiseThreadPriority(int priority)
{
    if (priority <= 0)
        return;
    sched_param param{};
    param.sched_priority = std::min(priority, sched_get_priority_max(SCHED_FIFO));
    pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
}

} // namespace lockstep
