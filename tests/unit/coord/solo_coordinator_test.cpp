#define BOOST_TEST_MODULE coord
#include <boost/test/unit_test.hpp>

#include "coord/coordinator.h"
#include "util/errors.h"

using namespace lockstep;

BOOST_AUTO_TEST_CASE(solo_coordinator_is_a_job_of_one)
{
    const auto coord = soloCoordinator();
    BOOST_TEST(coord->rank() == 0);
    BOOST_TEST(coord->size() == 1);
    BOOST_TEST(!coord->host().empty());
    coord->fence();
}

BOOST_AUTO_TEST_CASE(solo_collectives_return_the_own_value)
{
    const auto coord = soloCoordinator();
    BOOST_TEST(coord->broadcast("instant") == "instant");
    const std::vector<std::string> all = coord->allGather("mine");
    BOOST_REQUIRE_EQUAL(all.size(), 1u);
    BOOST_TEST(all[0] == "mine");
    BOOST_CHECK_THROW(coord->broadcast("x", 1), RunError);
}
