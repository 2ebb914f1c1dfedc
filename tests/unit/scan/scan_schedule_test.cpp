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

namespace
{
/* The cluster benchmark's rig: a 34 ms grid, 1 ms exposure, 20 ms readout, 5 ms lock bound. */
TimelineRules benchRules()
{
    TimelineRules rules;
    rules.grid = FrameGrid{0, 34 * kMs};
    rules.exposure = 1 * kMs;
    rules.readout = 20 * kMs;
    rules.bound = 5 * kMs;
    rules.settle = 100 * kMs;
    rules.moveSlack = 2 * kMs;
    rules.gap = 34 * kMs;
    return rules;
}
} // namespace

BOOST_AUTO_TEST_CASE(positions_that_do_not_move_follow_each_other_one_grid_period_apart)
{
    const TimelineRules rules = benchRules();
    const std::vector<Nanos> moves(5, 0);
    const std::vector<PlannedPosition> timeline = planTimeline(rules, 1'000 * kMs + 1, moves);
    BOOST_TEST_REQUIRE(timeline.size() == 5u);
    /* The first capture: the first grid instant at least kCaptureLead after the start. */
    BOOST_TEST(timeline[0].capture == 1'020 * kMs);
    for (size_t k = 0; k < timeline.size(); ++k) {
        BOOST_TEST(rules.grid.errorOf(timeline[k].capture) == 0);
        BOOST_TEST(timeline[k].readOut == timeline[k].capture + 21 * kMs);
        if (k > 0) {
            /* Motion may start once the last row is read out and the bound has passed; with no
             * motion (and so no settling) the next grid instant is the capture. */
            BOOST_TEST(timeline[k].motionStart == timeline[k - 1].readOut + 5 * kMs);
            BOOST_TEST(timeline[k].capture - timeline[k - 1].capture == 34 * kMs);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_capture_is_the_first_grid_frame_after_the_slowest_move_and_settle)
{
    const TimelineRules rules = benchRules();
    /* 577.6 ms of move (the planner's 15 degree turn) + 2 ms slack + 100 ms settle = 679.6 ms
     * after the start at 0: the 20th grid instant (680 ms). */
    const PlannedPosition p = planPosition(rules, 0, 577'628'130);
    BOOST_TEST(p.capture == 680 * kMs);
    /* A move that ends exactly on an instant takes that instant. */
    BOOST_TEST(planPosition(rules, 0, 578 * kMs).capture == 680 * kMs);
    BOOST_TEST(planPosition(rules, 0, 578 * kMs + 1).capture == 714 * kMs);
    /* The slowest node decides: planTimeline is given the maximum of every node's move. */
    const std::vector<Nanos> moves{0, 577'628'130};
    const std::vector<PlannedPosition> t = planTimeline(rules, 0, moves);
    BOOST_TEST(t[1].motionStart == t[0].readOut + 5 * kMs);
    BOOST_TEST(t[1].capture >= t[1].motionStart + 577'628'130 + 102 * kMs);
    BOOST_TEST(t[1].capture - (t[1].motionStart + 577'628'130 + 102 * kMs) < 34 * kMs);
    /* Open loop leaves its retiming lead after the start of motion even without a move. */
    TimelineRules open = rules;
    open.sync = CaptureSync::OpenLoop;
    BOOST_TEST(planPosition(open, 0, 0).capture == kOpenLoopLeadFrames * 34 * kMs);
}

BOOST_AUTO_TEST_CASE(several_frames_per_position_hold_the_next_motion_back)
{
    TimelineRules rules = benchRules();
    rules.frames = 3;
    rules.gap = 68 * kMs;
    const PlannedPosition p = planPosition(rules, 0, 0);
    BOOST_TEST(p.readOut == p.capture + 2 * rules.gap + 21 * kMs);
}

BOOST_AUTO_TEST_CASE(a_late_fence_delays_the_rest_by_whole_grid_periods)
{
    const TimelineRules rules = benchRules();
    std::vector<PlannedPosition> timeline = planTimeline(rules, 0, std::vector<Nanos>(4, 0));
    const std::vector<PlannedPosition> before = timeline;
    BOOST_TEST(delayTimeline(timeline, 2, rules.grid, 0) == 0);
    BOOST_TEST(delayTimeline(timeline, 2, rules.grid, -5 * kMs) == 0);
    BOOST_TEST(delayTimeline(timeline, 2, rules.grid, 1) == 34 * kMs);
    BOOST_TEST(timeline[1].capture == before[1].capture); /* already armed: unchanged */
    BOOST_TEST(timeline[2].capture == before[2].capture + 34 * kMs);
    BOOST_TEST(timeline[3].motionStart == before[3].motionStart + 34 * kMs);
    BOOST_TEST(delayTimeline(timeline, 3, rules.grid, 35 * kMs) == 68 * kMs);
    BOOST_TEST(rules.grid.errorOf(timeline[3].capture) == 0);
}

BOOST_AUTO_TEST_CASE(slow_fences_space_the_positions_out)
{
    TimelineRules rules = benchRules();
    /* Fences that fit in the readout cost nothing ... */
    rules.coordination = 20 * kMs;
    std::vector<PlannedPosition> t = planTimeline(rules, 0, std::vector<Nanos>(3, 0));
    BOOST_TEST(t[2].capture - t[1].capture == 34 * kMs);
    /* ... slower ones hold the next motion start back, and with it the capture. */
    rules.coordination = 80 * kMs;
    t = planTimeline(rules, 0, std::vector<Nanos>(3, 0));
    BOOST_TEST(t[1].motionStart == t[0].motionStart + 80 * kMs);
    BOOST_TEST(t[2].motionStart == t[1].motionStart + 80 * kMs);
    BOOST_TEST(t[2].capture - t[1].capture == 68 * kMs); /* 80 ms -> 2 periods */
}
