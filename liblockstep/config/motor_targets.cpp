#include "config/motor_targets.h"

#include <algorithm>
#include <stdexcept>

namespace lockstep
{

namespace
{

/* The first pair whose motor is not before `motor`. */
template <typename Iterator>
Iterator lowerBound(Iterator first, Iterator last, std::string_view motor)
{
    return std::lower_bound(first, last, motor,
                            [](const MotorTargets::value_type &pair, std::string_view name) {
                                return std::string_view(pair.first) < name;
                            });
}

} // namespace

bool MotorTargets::emplace(std::string motor, double target)
{
    const auto it = lowerBound(targets_.begin(), targets_.end(), motor);
    if (it != targets_.end() && it->first == motor)
        return false;
    targets_.emplace(it, std::move(motor), target);
    return true;
}

const double *MotorTargets::find(std::string_view motor) const
{
    const auto it = lowerBound(targets_.begin(), targets_.end(), motor);
    return it != targets_.end() && it->first == motor ? &it->second : nullptr;
}

double MotorTargets::at(std::string_view motor) const
{
    if (const double *target = find(motor))
        return *target;
    throw std::out_of_range("no target for motor '" + std::string(motor) + "'");
}

} // namespace lockstep
