/* The scan's timing rules. */
#include <boost/test/unit_test.hpp>

#include "common/instant_printing.h"
#include "scan/scan_schedule.h"

using namespace lockstep;
using namespace std::chrono_literals;

namespace
{
/* The realtime instant `d` after the clock's epoch. */
constexpr RealtimeInstant at(Nanoseconds d)
{
    return RealtimeInstant(d);
}
} // namespace

BOOST_AUTO_TEST_CASE(the_capture_instant_is_the_next_grid_frame_after_the_margin)
{
    const FrameGrid grid{at(0ns), 102ms};
    const RealtimeInstant now = at(1'000'000 * 102ms + 7ms); /* 7 ms past a grid instant */
    const RealtimeInstant T = captureInstant(grid, now, 50ms, CaptureSync::PhaseLocked);
    BOOST_TEST(T == now - 7ms + 102ms);
    BOOST_TEST((grid.errorOf(T) == 0ns));
    /* A margin that reaches past the next instant takes the one after. */
    BOOST_TEST(captureInstant(grid, now, 96ms, CaptureSync::PhaseLocked) == now - 7ms + 204ms);
    /* Exactly on an instant: that instant. */
    BOOST_TEST(captureInstant(grid, now - 7ms, 0ns, CaptureSync::PhaseLocked) == now - 7ms);
    /* Open loop leaves five periods more to retime its sensors. */
    BOOST_TEST(captureInstant(grid, now, 50ms, CaptureSync::OpenLoop) ==
               T + kOpenLoopLeadFrames * 102ms);
}

BOOST_AUTO_TEST_CASE(frames_of_a_position_are_whole_periods_apart)
{
    const FrameGrid grid{at(0ns), 34ms};
    BOOST_TEST((frameGap(grid, 0ns) == 34ms));    /* the slack alone: 20 ms */
    BOOST_TEST((frameGap(grid, 7ms) == 34ms));    /* 34 ms */
    BOOST_TEST((frameGap(grid, 8ms) == 68ms));    /* 36 ms */
    BOOST_TEST((frameGap(grid, 100ms) == 238ms)); /* 220 ms -> 7 periods */
}

BOOST_AUTO_TEST_CASE(motion_waits_for_the_last_row_of_the_last_frame)
{
    const RealtimeInstant T = at(5'000ms);
    /* One frame: exposure then the rolling readout. */
    BOOST_TEST(lastRowReadOut(T, 1, 100ms, 4ms, 87ms) == T + 91ms);
    /* Three frames: the third starts two gaps later. */
    BOOST_TEST(lastRowReadOut(T, 3, 100ms, 4ms, 87ms) == T + 291ms);
    /* A global shutter: exposure only. */
    BOOST_TEST(lastRowReadOut(T, 1, 100ms, 4ms, 0ns) == T + 4ms);
}

namespace
{
/* The cluster benchmark's rig: a 34 ms grid, 1 ms exposure, 20 ms readout, 5 ms lock bound. */
TimelineRules benchRules()
{
    TimelineRules rules;
    rules.grid = FrameGrid{at(0ns), 34ms};
    rules.exposure = 1ms;
    rules.readout = 20ms;
    rules.bound = 5ms;
    rules.settle = 100ms;
    rules.moveSlack = 2ms;
    rules.gap = 34ms;
    return rules;
}

const std::vector<Nanoseconds> noMoves(size_t n)
{
    return std::vector<Nanoseconds>(n, 0ns);
}
} // namespace

BOOST_AUTO_TEST_CASE(positions_that_do_not_move_follow_each_other_one_grid_period_apart)
{
    const TimelineRules rules = benchRules();
    const std::vector<PlannedPosition> timeline =
        planTimeline(rules, at(1'000ms + 1ns), noMoves(5));
    BOOST_TEST_REQUIRE(timeline.size() == 5u);
    /* The first capture: the first grid instant at least kCaptureLead after the start. */
    BOOST_TEST(timeline[0].capture == at(1'020ms));
    for (size_t k = 0; k < timeline.size(); ++k) {
        BOOST_TEST((rules.grid.errorOf(timeline[k].capture) == 0ns));
        BOOST_TEST(timeline[k].readOut == timeline[k].capture + 21ms);
        if (k > 0) {
            /* Motion may start once the last row is read out and the bound has passed; with no
             * motion (and so no settling) the next grid instant is the capture. */
            BOOST_TEST(timeline[k].motionStart == timeline[k - 1].readOut + 5ms);
            BOOST_TEST((timeline[k].capture - timeline[k - 1].capture == 34ms));
        }
    }
}

BOOST_AUTO_TEST_CASE(the_capture_is_the_first_grid_frame_after_the_slowest_move_and_settle)
{
    const TimelineRules rules = benchRules();
    /* 577.6 ms of move (the planner's 15 degree turn) + 2 ms slack + 100 ms settle = 679.6 ms
     * after the start at 0: the 20th grid instant (680 ms). */
    const Nanoseconds turn = 577'628'130ns;
    const PlannedPosition p = planPosition(rules, at(0ns), turn);
    BOOST_TEST(p.capture == at(680ms));
    /* A move that ends exactly on an instant takes that instant. */
    BOOST_TEST(planPosition(rules, at(0ns), 578ms).capture == at(680ms));
    BOOST_TEST(planPosition(rules, at(0ns), 578ms + 1ns).capture == at(714ms));
    /* The slowest node decides: planTimeline is given the maximum of every node's move. */
    const std::vector<Nanoseconds> moves{0ns, turn};
    const std::vector<PlannedPosition> t = planTimeline(rules, at(0ns), moves);
    BOOST_TEST(t[1].motionStart == t[0].readOut + 5ms);
    BOOST_TEST(t[1].capture >= t[1].motionStart + turn + 102ms);
    BOOST_TEST((t[1].capture - (t[1].motionStart + turn + 102ms) < 34ms));
    /* Open loop leaves its retiming lead after the start of motion even without a move. */
    TimelineRules open = rules;
    open.sync = CaptureSync::OpenLoop;
    BOOST_TEST(planPosition(open, at(0ns), 0ns).capture == at(kOpenLoopLeadFrames * 34ms));
}

BOOST_AUTO_TEST_CASE(several_frames_per_position_hold_the_next_motion_back)
{
    TimelineRules rules = benchRules();
    rules.frames = 3;
    rules.gap = 68ms;
    const PlannedPosition p = planPosition(rules, at(0ns), 0ns);
    BOOST_TEST(p.readOut == p.capture + 2 * rules.gap + 21ms);
}

BOOST_AUTO_TEST_CASE(a_late_fence_delays_the_rest_by_whole_grid_periods)
{
    const TimelineRules rules = benchRules();
    std::vector<PlannedPosition> timeline = planTimeline(rules, at(0ns), noMoves(4));
    const std::vector<PlannedPosition> before = timeline;
    BOOST_TEST((delayTimeline(timeline, 2, rules.grid, 0ns) == 0ns));
    BOOST_TEST((delayTimeline(timeline, 2, rules.grid, -5ms) == 0ns));
    BOOST_TEST((delayTimeline(timeline, 2, rules.grid, 1ns) == 34ms));
    BOOST_TEST(timeline[1].capture == before[1].capture); /* already armed: unchanged */
    BOOST_TEST(timeline[2].capture == before[2].capture + 34ms);
    BOOST_TEST(timeline[3].motionStart == before[3].motionStart + 34ms);
    BOOST_TEST((delayTimeline(timeline, 3, rules.grid, 35ms) == 68ms));
    BOOST_TEST((rules.grid.errorOf(timeline[3].capture) == 0ns));
}

BOOST_AUTO_TEST_CASE(slow_fences_space_the_positions_out)
{
    TimelineRules rules = benchRules();
    /* Fences that fit in the readout cost nothing ... */
    rules.coordination = 20ms;
    std::vector<PlannedPosition> t = planTimeline(rules, at(0ns), noMoves(3));
    BOOST_TEST((t[2].capture - t[1].capture == 34ms));
    /* ... slower ones hold the next motion start back, and with it the capture. */
    rules.coordination = 80ms;
    t = planTimeline(rules, at(0ns), noMoves(3));
    BOOST_TEST(t[1].motionStart == t[0].motionStart + 80ms);
    BOOST_TEST(t[2].motionStart == t[1].motionStart + 80ms);
    BOOST_TEST((t[2].capture - t[1].capture == 68ms)); /* 80 ms -> 2 periods */
}

/* A rank too late for a capture stops the scan instead of capturing late (docs/cameras.md,
 * "Late"): ScanRank throws when one of these is positive. On a position planned by the
 * product's rules: the simulated rig's move slack (its max_lateness_us, 100 ms), 50 ms settle. */
BOOST_AUTO_TEST_CASE(a_rank_too_late_for_a_capture_is_told_by_how_much)
{
    TimelineRules rules;
    rules.grid = FrameGrid{at(0ns), 34ms};
    rules.exposure = 4ms;
    rules.settle = 50ms;
    rules.moveSlack = 100ms;
    const Nanoseconds move = 500ms;
    const PlannedPosition p = planPosition(rules, at(10s), move);
    const RealtimeInstant T = p.capture;

    /* Armed: a capture thread waits at least kCaptureLead / 2 (2.5 ms) before T. */
    BOOST_TEST((armedLate(T, p.motionStart) < 0ns));
    BOOST_TEST((armedLate(T, T - kCaptureLead / 2) == 0ns));
    BOOST_TEST((armedLate(T, T - kCaptureLead / 2 + 1ns) == 1ns));
    BOOST_TEST((armedLate(T, T + 3ms) == kCaptureLead / 2 + 3ms)); /* after its instant */

    /* Moving: on time at the planned motion start; a start so late that the move, the settle
     * time and the slack no longer fit before T is refused by exactly the excess. */
    BOOST_TEST((moveOverrun(rules, p.motionStart, move, T) <= -rules.moveSlack));
    const RealtimeInstant lastStart = T - move - rules.settle + rules.moveSlack;
    BOOST_TEST((moveOverrun(rules, lastStart, move, T) == 0ns));
    BOOST_TEST((moveOverrun(rules, lastStart + 7ms, move, T) == 7ms));

    /* Still: the motors stand still by T - settle, or the frame would film them settling. */
    BOOST_TEST((stillLate(rules, p.motionStart + move, T) < 0ns));
    BOOST_TEST((stillLate(rules, T - rules.settle, T) == 0ns));
    BOOST_TEST((stillLate(rules, T - rules.settle + 2ms, T) == 2ms));
}
