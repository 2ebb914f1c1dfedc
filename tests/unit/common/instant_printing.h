/* Lets BOOST_TEST print instants of lockstep's clocks (found by argument-dependent lookup, the
 * clock being in namespace lockstep), as nanoseconds since the clock's epoch. Durations, all of
 * namespace std, are compared inside double parentheses or by count(). */
#pragma once

#include <ostream>

#include "util/chrono_clocks.h"

namespace lockstep
{

inline std::ostream &boost_test_print_type(std::ostream &out, MonotonicInstant t)
{
    return out << "monotonic " << wireNanos(t) << " ns";
}

inline std::ostream &boost_test_print_type(std::ostream &out, RealtimeInstant t)
{
    return out << "realtime " << wireNanos(t) << " ns";
}

} // namespace lockstep
