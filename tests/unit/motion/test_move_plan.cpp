#define BOOST_TEST_MODULE motion
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "motion/move_plan.h"

using namespace lockstep;
using namespace std::chrono_literals;

namespace
{

AxisRequest axis(int64_t from, int64_t to, double rate, double accel)
{
    return AxisRequest{from, to, rate, accel};
}

/* Largest step rate seen between consecutive steps (steps/s). */
double observedPeakRate(const MovePlan &p, size_t a)
{
    double peak = 0;
    for (int64_t k = 2; k <= p.stepCount(a); ++k) {
        const Nanoseconds dt = p.stepTime(a, k) - p.stepTime(a, k - 1);
        peak = std::max(peak, 1 / FloatSeconds(dt).count());
    }
    return peak;
}

/* FNV-1a over every step time of every axis: one number for a whole plan. */
uint64_t digestOf(const MovePlan &p, size_t axes)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t a = 0; a < axes; ++a)
        for (int64_t k = 1; k <= p.stepCount(a); ++k) {
            const auto t = static_cast<uint64_t>(p.stepTime(a, k).count());
            for (int byte = 0; byte < 8; ++byte) {
                h ^= (t >> (8 * byte)) & 0xff;
                h *= 1099511628211ull;
            }
        }
    return h;
}

} // namespace

BOOST_AUTO_TEST_SUITE(move_plan)

BOOST_AUTO_TEST_CASE(trapezoid_counts_duration_and_peak)
{
    const double rate = 4000, accel = 20000;
    const MovePlan p = MovePlan::plan({axis(100, 3300, rate, accel)});
    BOOST_TEST(p.stepCount(0) == 3200);
    BOOST_TEST(p.direction(0) == 1);
    /* 0.2 s ramps covering 400 steps each, 2400 steps of cruise at 4000 steps/s. */
    BOOST_TEST(p.accelTime().count() == rate / accel, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(p.cruiseTime().count() == 2400 / rate, boost::test_tools::tolerance(1e-12));
    BOOST_TEST((p.duration() == 1s));
    BOOST_TEST((p.stepTime(0, 3200) == p.duration()));
    BOOST_TEST(p.peakStepRate(0) == rate, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(observedPeakRate(p, 0) <= rate * 1.0001);
    BOOST_TEST(observedPeakRate(p, 0) >= rate * 0.999);
}

BOOST_AUTO_TEST_CASE(triangle_when_the_ramps_meet)
{
    const double rate = 4000, accel = 20000;
    const MovePlan p = MovePlan::plan({axis(0, -400, rate, accel)});
    BOOST_TEST(p.direction(0) == -1);
    BOOST_TEST(p.cruiseTime().count() == 0.0);
    /* 200 steps up, 200 down: t = sqrt(2 * 200 / 20000). */
    BOOST_TEST(p.accelTime().count() == std::sqrt(0.02), boost::test_tools::tolerance(1e-12));
    BOOST_TEST(p.peakStepRate(0) < rate);
    BOOST_TEST(p.peakStepRate(0) == accel * std::sqrt(0.02), boost::test_tools::tolerance(1e-9));
    BOOST_TEST(observedPeakRate(p, 0) <= p.peakStepRate(0) * 1.0001);
}

BOOST_AUTO_TEST_CASE(step_times_increase_and_are_symmetric)
{
    const MovePlan p = MovePlan::plan({axis(0, 1000, 3000, 15000)});
    const int64_t n = p.stepCount(0);
    const Nanoseconds total = p.duration();
    BOOST_TEST((p.stepTime(0, 1) > 0ns));
    for (int64_t k = 2; k <= n; ++k)
        BOOST_TEST_REQUIRE((p.stepTime(0, k) > p.stepTime(0, k - 1)));
    /* The decelerating ramp mirrors the accelerating one: step k and step n-k are the same
     * distance from the start and the end (within the 1 ns rounding of each). */
    for (int64_t k = 1; k < n; ++k)
        BOOST_TEST_REQUIRE(
            (std::chrono::abs(p.stepTime(0, k) - (total - p.stepTime(0, n - k))) <= 1ns));
}

BOOST_AUTO_TEST_CASE(axes_start_and_finish_together_at_the_slowest_pace)
{
    /* Axis 1 has far fewer steps but a much lower limit: it sets the pace. */
    const MovePlan p =
        MovePlan::plan({axis(0, 3200, 10000, 50000), axis(50, 150, 100, 400), axis(7, 7, 0, 0)});
    BOOST_TEST((p.stepTime(0, 3200) == p.stepTime(1, 100)));
    BOOST_TEST(p.stepCount(2) == 0);
    BOOST_TEST(p.direction(2) == 0);
    BOOST_TEST(p.peakStepRate(1) <= 100.0 * (1 + 1e-12));
    BOOST_TEST(p.peakStepRate(0) <= 10000.0);
    /* Both axes are at the same fraction of their travel at any time. */
    for (Nanoseconds t{0}; t <= p.duration(); t += p.duration() / 16) {
        const double f0 = static_cast<double>(p.positionAt(0, t)) / 3200;
        const double f1 = static_cast<double>(p.positionAt(1, t) - 50) / 100;
        BOOST_TEST(std::fabs(f0 - f1) <= 1.0 / 100 + 1e-12);
    }
    BOOST_TEST(p.positionAt(2, p.duration() / 2) == 7);
}

BOOST_AUTO_TEST_CASE(position_agrees_with_step_times)
{
    const MovePlan p = MovePlan::plan({axis(10, -90, 500, 2000)});
    BOOST_TEST(p.positionAt(0, -5ns) == 10);
    BOOST_TEST(p.positionAt(0, p.duration() + 1us) == -90);
    for (int64_t k = 1; k <= 100; ++k) {
        BOOST_TEST_REQUIRE(p.positionAt(0, p.stepTime(0, k)) == 10 - k);
        BOOST_TEST_REQUIRE(p.positionAt(0, p.stepTime(0, k) - 1ns) == 10 - (k - 1));
    }
}

BOOST_AUTO_TEST_CASE(deterministic)
{
    const std::vector<AxisRequest> req{axis(0, 1234, 3333.3, 12345.6), axis(0, -77, 100, 1000)};
    const MovePlan a = MovePlan::plan(req);
    const MovePlan b = MovePlan::plan(req);
    BOOST_TEST((a.duration() == b.duration()));
    for (size_t ax = 0; ax < 2; ++ax)
        for (int64_t k = 1; k <= a.stepCount(ax); ++k)
            BOOST_TEST_REQUIRE((a.stepTime(ax, k) == b.stepTime(ax, k)));
}

/* The same move must give the same step times on every node of a rig, whatever its CPU: the
 * planner uses only correctly rounded operations and is built with -ffp-contract=off (no fused
 * multiply-add on aarch64). These digests were recorded on x86-64; a Pi must reproduce them. */
BOOST_AUTO_TEST_CASE(step_times_match_the_recorded_reference)
{
    const MovePlan turntable = MovePlan::plan({axis(0, 89, 2000, 8000)}); /* 10 deg at 3200/rev */
    const MovePlan pair = MovePlan::plan({axis(0, 1234, 3333.3, 12345.6), axis(0, -77, 100, 1000)});
    const MovePlan triangle = MovePlan::plan({axis(-500, 500, 50000, 3000)});
    BOOST_TEST(digestOf(turntable, 1) == 13400627677123200267ull);
    BOOST_TEST(digestOf(pair, 2) == 9493719557239177763ull);
    BOOST_TEST(digestOf(triangle, 1) == 9056709061711045542ull);
}

BOOST_AUTO_TEST_CASE(zero_length_move)
{
    const MovePlan p = MovePlan::plan({axis(42, 42, 0, 0)});
    BOOST_TEST((p.duration() == 0ns));
    BOOST_TEST(p.stepCount(0) == 0);
    BOOST_TEST(p.positionAt(0, 1us) == 42);
    BOOST_TEST((MovePlan::plan({}).duration() == 0ns));
    BOOST_CHECK_THROW(p.stepTime(0, 1), std::out_of_range);
}

BOOST_AUTO_TEST_CASE(bad_limits_throw)
{
    BOOST_CHECK_THROW(MovePlan::plan({axis(0, 10, 0, 100)}), std::invalid_argument);
    BOOST_CHECK_THROW(MovePlan::plan({axis(0, 10, 100, -1)}), std::invalid_argument);
    BOOST_CHECK_THROW(MovePlan::plan({axis(0, 10, NAN, 100)}), std::invalid_argument);
    BOOST_CHECK_THROW(MovePlan::plan({axis(0, 10, INFINITY, 100)}), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
