/* The targets of one plan position: (motor, target) pairs in one flat vector, sorted by motor.
 * A plan can have hundreds of thousands of positions of one or two motors each; a std::map per
 * position cost a tree node apiece and was the loader's largest cost after parsing
 * (docs/performance.md, "Configuration loading"). */
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lockstep
{

class MotorTargets
{
public:
    using value_type = std::pair<std::string, double>;
    using const_iterator = std::vector<value_type>::const_iterator;

    /* Sets `motor`'s target; false (and nothing changed) if it has one already. */
    bool emplace(std::string motor, double target);

    /* nullptr when `motor` has no target. */
    const double *find(std::string_view motor) const;
    /* Throws std::out_of_range when `motor` has no target. */
    double at(std::string_view motor) const;

    std::size_t size() const { return targets_.size(); }
    bool empty() const { return targets_.empty(); }
    /* In motor name order. */
    const_iterator begin() const { return targets_.begin(); }
    const_iterator end() const { return targets_.end(); }

private:
    std::vector<value_type> targets_;
};

} // namespace lockstep
