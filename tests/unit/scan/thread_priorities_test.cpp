/* The scan's threads sit below the step executor's priority, whatever the rig sets. */
#include <boost/test/unit_test.hpp>

#include <sched.h>

#include "scan/thread_priorities.h"

using namespace lockstep;

BOOST_AUTO_TEST_CASE(the_timeline_and_capture_threads_sit_below_the_executor)
{
    for (const int executor : {3, 10, 49, 80, 98}) {
        BOOST_TEST_CONTEXT("executor priority " << executor)
        {
            const ScanThreadPriorities p = scanThreadPriorities(executor);
            BOOST_TEST(p.timeline == executor - 1);
            BOOST_TEST(p.capture == executor - 2);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_thread_that_does_not_fit_below_stays_on_the_normal_scheduler)
{
    const int lowest = sched_get_priority_min(SCHED_FIFO);
    const ScanThreadPriorities two = scanThreadPriorities(lowest + 1);
    BOOST_TEST(two.timeline == lowest);
    BOOST_TEST(two.capture == 0);
    const ScanThreadPriorities one = scanThreadPriorities(lowest);
    BOOST_TEST(one.timeline == 0);
    BOOST_TEST(one.capture == 0);
}

BOOST_AUTO_TEST_CASE(priority_zero_leaves_the_thread_as_it_is)
{
    const int before = sched_getscheduler(0);
    raiseThreadPriority(0);
    BOOST_TEST(sched_getscheduler(0) == before);
}
