#define BOOST_TEST_MODULE util
#include <boost/test/unit_test.hpp>

#include <ctime>
#include <type_traits>

#include "common/instant_printing.h"
#include "util/chrono_clocks.h"

using namespace lockstep;
using namespace std::chrono_literals;

namespace
{

Nanoseconds readRaw(clockid_t clock)
{
    timespec ts{};
    clock_gettime(clock, &ts);
    return fromTimespec(ts);
}

/* Whether two instants can be compared or subtracted: the point of the types is that instants of
 * different clocks cannot. */
template <class A, class B>
concept Subtractable = requires(A a, B b)
{
    a - b;
};
template <class A, class B>
concept Comparable = requires(A a, B b)
{
    a < b;
};

} // namespace

static_assert(!Subtractable<RealtimeInstant, MonotonicInstant>);
static_assert(!Comparable<RealtimeInstant, MonotonicInstant>);
static_assert(!std::is_convertible_v<RealtimeInstant, MonotonicInstant>);
static_assert(!std::is_convertible_v<int64_t, RealtimeInstant>);
static_assert(!std::is_convertible_v<int64_t, Nanoseconds>);
static_assert(std::is_same_v<decltype(RealtimeInstant{} - RealtimeInstant{}), Nanoseconds>);
static_assert(MonotonicClock::is_steady && !RealtimeClock::is_steady);

BOOST_AUTO_TEST_CASE(each_clock_reads_its_own_posix_clock)
{
    /* Bracketed by the raw clock_gettime of the clock it names. */
    const Nanoseconds monoBefore = readRaw(CLOCK_MONOTONIC);
    const MonotonicInstant mono = MonotonicClock::now();
    const Nanoseconds monoAfter = readRaw(CLOCK_MONOTONIC);
    BOOST_TEST(mono.time_since_epoch().count() >= monoBefore.count());
    BOOST_TEST(mono.time_since_epoch().count() <= monoAfter.count());

    const Nanoseconds realBefore = readRaw(CLOCK_REALTIME);
    const RealtimeInstant real = RealtimeClock::now();
    const Nanoseconds realAfter = readRaw(CLOCK_REALTIME);
    BOOST_TEST(real.time_since_epoch().count() >= realBefore.count());
    BOOST_TEST(real.time_since_epoch().count() <= realAfter.count());
}

BOOST_AUTO_TEST_CASE(timespec_round_trip_keeps_tv_nsec_in_range_for_negative_values)
{
    const timespec minusOneAndAHalf = toTimespec(-1500ms);
    BOOST_TEST(minusOneAndAHalf.tv_sec == -2);
    BOOST_TEST(minusOneAndAHalf.tv_nsec == 500'000'000);
    BOOST_TEST(fromTimespec(minusOneAndAHalf).count() == Nanoseconds(-1500ms).count());

    const timespec some = toTimespec(Nanoseconds(12'345'678'901));
    BOOST_TEST(some.tv_sec == 12);
    BOOST_TEST(some.tv_nsec == 345'678'901);
    BOOST_TEST(fromTimespec(some).count() == 12'345'678'901);
}

BOOST_AUTO_TEST_CASE(wire_nanos_are_nanoseconds_since_the_epoch)
{
    const RealtimeInstant real = realtimeFromWire(1'700'000'000'123'456'789);
    BOOST_TEST(wireNanos(real) == 1'700'000'000'123'456'789);
    BOOST_TEST(std::chrono::floor<std::chrono::seconds>(real.time_since_epoch()).count() ==
               1'700'000'000);
    BOOST_TEST(wireNanos(monotonicFromWire(-5)) == -5);
}

BOOST_AUTO_TEST_CASE(sleep_until_waits_on_the_instants_clock)
{
    const MonotonicInstant monoTarget = MonotonicClock::now() + 20ms;
    sleepUntil(monoTarget);
    BOOST_TEST(MonotonicClock::now() >= monoTarget);

    const RealtimeInstant realTarget = RealtimeClock::now() + 20ms;
    sleepUntil(realTarget);
    BOOST_TEST(RealtimeClock::now() >= realTarget);

    /* An instant already past returns at once. */
    const MonotonicInstant before = MonotonicClock::now();
    sleepUntil(before - 1s);
    BOOST_TEST((MonotonicClock::now() - before < 1s));
}
