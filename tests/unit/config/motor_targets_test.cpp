#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "config/motor_targets.h"

using namespace lockstep;

BOOST_AUTO_TEST_SUITE(motor_targets)

/* Iterated in motor name order, as the std::map it replaced was: scans move motors in that
 * order. */
BOOST_AUTO_TEST_CASE(iterates_by_motor_name_whatever_the_insertion_order)
{
    MotorTargets targets;
    BOOST_TEST(targets.emplace("tilt", -15));
    BOOST_TEST(targets.emplace("lift", 2));
    BOOST_TEST(targets.emplace("turntable", 90));
    std::vector<std::string> motors;
    for (const auto &[motor, target] : targets)
        motors.push_back(motor);
    BOOST_TEST(motors == (std::vector<std::string>{"lift", "tilt", "turntable"}),
               boost::test_tools::per_element());
    BOOST_TEST(targets.size() == 3U);
    BOOST_TEST(targets.at("tilt") == -15.0);
}

BOOST_AUTO_TEST_CASE(a_second_target_for_a_motor_is_refused)
{
    MotorTargets targets;
    BOOST_TEST(targets.emplace("lift", 1));
    BOOST_TEST(!targets.emplace("lift", 2));
    BOOST_TEST(targets.size() == 1U);
    BOOST_TEST(targets.at("lift") == 1.0);
}

BOOST_AUTO_TEST_CASE(a_motor_without_target_is_not_found)
{
    MotorTargets targets;
    BOOST_TEST(targets.find("lift") == nullptr);
    BOOST_CHECK_THROW((void)targets.at("lift"), std::out_of_range);
    BOOST_TEST(targets.emplace("lift", 1));
    BOOST_TEST(targets.find("lif") == nullptr);
    BOOST_TEST(targets.find("lift2") == nullptr);
    BOOST_TEST_REQUIRE(targets.find("lift") != nullptr);
    BOOST_TEST(*targets.find("lift") == 1.0);
}

BOOST_AUTO_TEST_SUITE_END()
