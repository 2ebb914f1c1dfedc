#include "commands/move_progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unistd.h>

namespace lockstep
{

namespace
{

constexpr Nanoseconds kTerminalLineEvery = Milliseconds(100);
constexpr Nanoseconds kLogLineEvery = std::chrono::seconds(1);

} // namespace

MoveProgress::MoveProgress(std::vector<Motor> motors)
    : motors_(std::move(motors)), terminal_(isatty(STDERR_FILENO) == 1)
{
}

MoveProgress::~MoveProgress()
{
    if (lineOpen_)
        std::fputc('\n', stderr);
}

PositionObserver MoveProgress::observer()
{
    return [this](const std::vector<double> &positions) { show(positions); };
}

void MoveProgress::show(const std::vector<double> &positions)
{
    /* Homing calls after every short chunk: pace the lines here. */
    const MonotonicInstant now = MonotonicClock::now();
    if (!lastLine_)
        lastLine_ = now; /* the first line a full interval into the move */
    if (now - *lastLine_ < (terminal_ ? kTerminalLineEvery : kLogLineEvery))
        return;
    lastLine_ = now;

    std::string line = "moving:";
    char part[160];
    for (size_t i = 0; i < motors_.size() && i < positions.size(); ++i) {
        const Motor &m = motors_[i];
        std::snprintf(part, sizeof part, " %s %.3f %s", m.name.c_str(), positions[i],
                      m.unit.c_str());
        line += part;
        if (m.to && *m.to != m.from) {
            const double done = std::clamp((positions[i] - m.from) / (*m.to - m.from), 0.0, 1.0);
            std::snprintf(part, sizeof part, " (%.0f %%)", std::floor(100 * done));
            line += part;
        }
    }
    if (terminal_) {
        std::fprintf(stderr, "\r%s\033[K", line.c_str());
        lineOpen_ = true;
    } else {
        std::fprintf(stderr, "%s\n", line.c_str());
    }
}

} // namespace lockstep
