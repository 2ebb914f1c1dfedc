/* The scan's timing rules. */
#include <boost/test/unit_test.hpp>

#include "scan/scan_schedule.h"

using namespace lockstep;

namespace
{
constexpr Nanos kMs = 1'000'000;
}

BOOST_AUTO_TEST_CASE(the_capture_instant_is_the_next_grid_frame_after_the_margin)
{
    const FrameGrid grid{0, 102 * kMs};
    const Nanos now = Nanos(1'000'000) * 102 * kMs + 7 * kMs; /* 7 ms past a grid instant */
    const Nanos T = captureInstant(grid, now, 50 * kMs, CaptureSync::PhaseLocked);
    BOOST_TEST(T == now - 7 * kMs + 102 * kMs);
    BOOST_TEST(grid.errorOf(T) == 0);
    /* A margin that reaches past the next instant takes the one after. */
    BOOST_TEST(captureInstant(grid, now, 96 * kMs, CaptureSync::PhaseLocked) ==
               now - 7 * kMs + 204 * kMs);
    /* Exactly on an instant: that instant. */
    BOOST_TEST(captureInstant(grid, now - 7 * kMs, 0, CaptureSync::PhaseLocked) == now - 7 * kMs);
    /* Open loop leaves five periods more to retime its sensors. */
    BOOST_TEST(captureInstant(grid, now, 50 * kMs, CaptureSync::OpenLoop) ==
               T + kOpenLoopLeadFrames * 102 * kMs);
}

BOOST_AUTO_TEST_CASE(frames_of_a_position_are_whole_periods_apart)
{
    const FrameGrid grid{0, 34 * kMs};
    BOOST_TEST(frameGap(grid, 0) == 34 * kMs);          /* the slack alone: 20 ms */
    BOOST_TEST(frameGap(grid, 7 * kMs) == 34 * kMs);    /* 34 ms */
    BOOST_TEST(frameGap(grid, 8 * kMs) == 68 * kMs);    /* 36 ms */
    BOOST_TEST(frameGap(grid, 100 * kMs) == 238 * kMs); /* 220 ms -> 7 periods */
}

BOOST_AUTO_TEST_CASE(motion_waits_for_the_last_row_of_the_last_frame)
{
    const Nanos T = 5'000 * kMs;
    /* One frame: exposure then the rolling readout. */
    BOOST_TEST(lastRowReadOut(T, 1, 100 * kMs, 4 * kMs, 87 * kMs) == T + 91 * kMs);
    /* Three frames: the third starts two gaps later. */
    BOOST_TEST(lastRowReadOut(T, 3, 100 * kMs, 4 * kMs, 87 * kMs) == T + 291 * kMs);
    /* A global shutter: exposure only. */
    BOOST_TEST(lastRowReadOut(T, 1, 100 * kMs, 4 * kMs, 0) == T + 4 * kMs);
}
