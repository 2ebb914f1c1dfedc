/* What `lockstep move` and `lockstep home` show while the motors turn, on stderr like the
 * scan's progress: on a terminal one line rewritten about ten times a second, otherwise (a
 * job's output file) one line a second, so a long move is visibly alive in `tail -f`. */
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "motion/motor_group.h"
#include "util/chrono_clocks.h"

namespace lockstep
{

class MoveProgress
{
public:
    struct Motor {
        std::string name;
        std::string unit;
        double from = 0;
        std::optional<double> to; /* none when homing: the endstop's place is unknown */
    };

    explicit MoveProgress(std::vector<Motor> motors);
    /* Ends a terminal line that is still open. */
    ~MoveProgress();

    MoveProgress(const MoveProgress &) = delete;
    MoveProgress &operator=(const MoveProgress &) = delete;

    /* For MotorGroup::moveTo/home: positions in the order the motors were given. */
    PositionObserver observer();

private:
    void show(const std::vector<double> &positions);

    std::vector<Motor> motors_;
    bool terminal_;
    bool lineOpen_ = false;
    std::optional<MonotonicInstant> lastLine_;
};

} // namespace lockstep
