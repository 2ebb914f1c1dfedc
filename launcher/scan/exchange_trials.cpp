#include "scan/exchange_trials.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace lockstep
{

Nanoseconds medianExchange(Coordinator &coord, const std::string &status, const std::string &report,
                           int count)
{
    if (count < 1)
        throw std::invalid_argument("medianExchange: no exchanges");
    std::vector<Nanoseconds> trials;
    for (int i = 0; i < count; ++i) {
        const MonotonicInstant before = MonotonicClock::now();
        coord.gatherStatus(status, report);
        trials.push_back(MonotonicClock::now() - before);
    }
    std::sort(trials.begin(), trials.end());
    return trials[trials.size() / 2];
}

} // namespace lockstep
