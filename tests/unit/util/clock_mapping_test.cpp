#include <boost/test/unit_test.hpp>

#include <cstdlib>

#include "common/instant_printing.h"
#include "util/clock_mapping.h"

using namespace lockstep;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(clock_mapping_is_a_fit_not_one_reading)
{
    /* realtime = monotonic + 1 s + 20 ppm slew; each reading off by up to 30 us of noise. */
    ClockMapping mapping;
    auto truth = [](MonotonicInstant mono) {
        const Nanoseconds sinceEpoch = mono.time_since_epoch();
        return RealtimeInstant(sinceEpoch + 1s +
                               Nanoseconds(int64_t(double(sinceEpoch.count()) * 20e-6)));
    };
    Nanoseconds worstReading{0};
    for (int i = 0; i < 64; ++i) {
        const MonotonicInstant mono = MonotonicInstant(10s + i * 100ms);
        const Nanoseconds noise = std::chrono::microseconds(((i * 7919) % 61) - 30);
        mapping.add(mono, truth(mono) + noise);
        worstReading = std::max(worstReading, std::chrono::abs(noise));
    }
    const MonotonicInstant at = MonotonicInstant(10s + 6300ms);
    const Nanoseconds error = mapping.toRealtime(at) - truth(at);
    BOOST_TEST_INFO("fit error " << error.count() << " ns, worst reading " << worstReading.count()
                                 << " ns");
    BOOST_TEST((std::chrono::abs(error) < worstReading / 3));
    BOOST_TEST((std::chrono::abs(mapping.toMonotonic(mapping.toRealtime(at)) - at) <= 1ns));
}

BOOST_AUTO_TEST_CASE(one_reading_maps_by_its_offset)
{
    ClockMapping mapping;
    mapping.add(MonotonicInstant(5s), RealtimeInstant(1'000s));
    BOOST_TEST(mapping.readings() == 1u);
    BOOST_TEST(wireNanos(mapping.toRealtime(MonotonicInstant(7s))) ==
               wireNanos(RealtimeInstant(1'002s)));
    BOOST_TEST(wireNanos(mapping.toMonotonic(RealtimeInstant(999s))) ==
               wireNanos(MonotonicInstant(4s)));
}

BOOST_AUTO_TEST_CASE(a_mapping_sampled_now_agrees_with_both_clocks)
{
    /* Reading the realtime clock between two monotonic readings, the mapped instant lies within
     * that bracket (plus the sampling's own bracket, a few microseconds here). */
    const ClockMapping mapping = ClockMapping::sampledNow();
    const MonotonicInstant before = MonotonicClock::now();
    const RealtimeInstant real = RealtimeClock::now();
    const MonotonicInstant after = MonotonicClock::now();
    const MonotonicInstant mapped = mapping.toMonotonic(real);
    BOOST_TEST_INFO("bracket " << (after - before).count() << " ns, mapped at "
                               << (mapped - before).count() << " ns after its start");
    BOOST_TEST((mapped >= before - 1ms && mapped <= after + 1ms));
}

BOOST_AUTO_TEST_CASE(the_window_forgets_old_readings)
{
    /* An offset that stepped (chrony stepped the realtime clock) is followed once the window has
     * only readings after the step. */
    ClockMapping mapping;
    for (int i = 0; i < 64; ++i)
        mapping.add(MonotonicInstant(i * 10ms), RealtimeInstant(i * 10ms + 1s));
    for (int i = 64; i < 128; ++i)
        mapping.add(MonotonicInstant(i * 10ms), RealtimeInstant(i * 10ms + 2s));
    BOOST_TEST(mapping.readings() == 64u);
    BOOST_TEST(wireNanos(mapping.toRealtime(MonotonicInstant(2s))) ==
               wireNanos(RealtimeInstant(4s)));
}
