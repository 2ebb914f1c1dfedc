/* What `lockstep selftest` makes of what it found: each verdict and the advice that goes with a
 * WARN or FAIL, and the exit status of the worst. */
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdio>
#include <string>

#include "commands/board_health.h"
#include "commands/camera_check.h"
#include "commands/clock_sync.h"
#include "commands/gpio_check.h"
#include "commands/realtime_settings.h"
#include "commands/selftest_report.h"
#include "commands/timing_check.h"

using namespace lockstep;
using std::chrono::microseconds;
using std::chrono::nanoseconds;

namespace
{

const std::string kFixtures = LOCKSTEP_SOURCE_DIR "/tests/unit/selftest/fixtures/";

bool mentions(const Finding &f, const std::string &text)
{
    return f.text.find(text) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(judgements)

BOOST_AUTO_TEST_CASE(real_time_settings_of_a_tuned_node_pass)
{
    const auto findings = judgeRealtimeSettings(readRealtimeSettings(kFixtures + "pi4-rt"));
    BOOST_TEST_REQUIRE(findings.size() == 4U);
    for (const Finding &f : findings)
        BOOST_TEST((f.verdict == Verdict::Pass), f.text);
}

BOOST_AUTO_TEST_CASE(real_time_settings_of_a_stock_node_warn_with_the_fix)
{
    const auto f = judgeRealtimeSettings(readRealtimeSettings(kFixtures + "pi4-stock"));
    BOOST_TEST_REQUIRE(f.size() == 4U);
    BOOST_TEST((f[0].verdict == Verdict::Warn));
    BOOST_TEST(mentions(f[0], "not a PREEMPT_RT kernel"));
    BOOST_TEST((f[1].verdict == Verdict::Warn));
    BOOST_TEST(mentions(f[1], "sched_rt_runtime_us 950000 of 1000000"));
    BOOST_TEST(mentions(f[1], "sched_rt_runtime_us=-1"));
    BOOST_TEST((f[2].verdict == Verdict::Warn));
    BOOST_TEST(mentions(f[2], "isolcpus="));
    BOOST_TEST((f[3].verdict == Verdict::Warn));
    BOOST_TEST(mentions(f[3], "cpu0 ondemand, cpu1 ondemand, cpu2 ondemand, cpu3 ondemand"));
}

BOOST_AUTO_TEST_CASE(unreadable_settings_are_skipped_not_passed)
{
    const auto f = judgeRealtimeSettings(readRealtimeSettings(kFixtures + "no-such-root"));
    BOOST_TEST_REQUIRE(f.size() == 4U);
    BOOST_TEST((f[1].verdict == Verdict::Skip));
    BOOST_TEST((f[3].verdict == Verdict::Skip));
}

BOOST_AUTO_TEST_CASE(limits_against_the_executor_priority)
{
    RealtimeLimits none;
    none.rtprio = 0;
    none.memlockBytes = 64 * 1024; /* Debian's default */
    auto f = judgeRealtimeLimits(none, 49);
    BOOST_TEST_REQUIRE(f.size() == 2U);
    BOOST_TEST((f[0].verdict == Verdict::Fail));
    BOOST_TEST(mentions(f[0], "LimitRTPRIO"));
    BOOST_TEST((f[1].verdict == Verdict::Fail));
    BOOST_TEST(mentions(f[1], "LimitMEMLOCK"));

    RealtimeLimits low = none;
    low.rtprio = 40;
    BOOST_TEST((judgeRealtimeLimits(low, 49)[0].verdict == Verdict::Fail));
    low.rtprio = 49;
    BOOST_TEST((judgeRealtimeLimits(low, 49)[0].verdict == Verdict::Pass));

    RealtimeLimits enough;
    enough.rtprio = 99;
    enough.memlockBytes = 8UL << 20;
    f = judgeRealtimeLimits(enough, 49);
    BOOST_TEST((f[0].verdict == Verdict::Pass));
    BOOST_TEST((f[1].verdict == Verdict::Pass));

    RealtimeLimits root = none; /* capabilities override the limits */
    root.canSetPriority = true;
    root.canLockMemory = true;
    f = judgeRealtimeLimits(root, 49);
    BOOST_TEST((f[0].verdict == Verdict::Pass));
    BOOST_TEST((f[1].verdict == Verdict::Pass));

    RealtimeLimits unlimited; /* RLIM_INFINITY */
    f = judgeRealtimeLimits(unlimited, 49);
    BOOST_TEST((f[0].verdict == Verdict::Pass));
    BOOST_TEST(mentions(f[1], "unlimited"));
}

BOOST_AUTO_TEST_CASE(cma_and_throttling)
{
    BOOST_TEST((judgeCma(CmaState{524288, 498732}).verdict == Verdict::Pass));
    const Finding low = judgeCma(CmaState{524288, 61440});
    BOOST_TEST((low.verdict == Verdict::Warn));
    BOOST_TEST(mentions(low, "CMA 60 MiB free of 512 MiB"));
    BOOST_TEST((judgeCma(std::nullopt).verdict == Verdict::Skip));

    const Finding now = judgeThrottled(0x50005U, "get_throttled");
    BOOST_TEST((now.verdict == Verdict::Fail));
    BOOST_TEST(mentions(now, "throttled=0x50005 (get_throttled): now under-voltage, throttled"));
    const Finding past = judgeThrottled(0x50000U, "vcgencmd");
    BOOST_TEST((past.verdict == Verdict::Warn));
    BOOST_TEST(mentions(past, "since boot under-voltage, throttled"));
    BOOST_TEST((judgeThrottled(0U, "vcgencmd").verdict == Verdict::Pass));
    const Finding unknown = judgeThrottled(std::nullopt, "");
    BOOST_TEST((unknown.verdict == Verdict::Skip));
    BOOST_TEST(mentions(unknown, "unknown"));
}

BOOST_AUTO_TEST_CASE(clock_sync_matters_more_with_several_nodes)
{
    KernelClockState unsynced;
    auto f = judgeClockSync({}, unsynced, 4);
    BOOST_TEST_REQUIRE(f.size() == 2U);
    BOOST_TEST((f[0].verdict == Verdict::Fail));
    BOOST_TEST((f[1].verdict == Verdict::Fail));
    BOOST_TEST(mentions(f[1], "unsynchronised"));
    f = judgeClockSync({}, unsynced, 1);
    BOOST_TEST((f[0].verdict == Verdict::Warn));
    BOOST_TEST((f[1].verdict == Verdict::Warn));

    KernelClockState synced{true, 12, 450};
    f = judgeClockSync({"chronyd"}, synced, 4);
    BOOST_TEST((f[0].verdict == Verdict::Pass));
    BOOST_TEST(mentions(f[0], "chronyd"));
    BOOST_TEST((f[1].verdict == Verdict::Pass));
    BOOST_TEST(mentions(f[1], "est error 12 us, max error 450 us"));
}

BOOST_AUTO_TEST_CASE(gpio_lines_free_or_claimed)
{
    NodeConfig node;
    MotorConfig a;
    a.name = "turntable";
    a.step.offset = 17;
    a.dir.offset = 27;
    a.enable.offset = 22;
    a.endstop = LineConfig{23, true, LineBias::PullUp};
    MotorConfig b = a;
    b.name = "tilt";
    b.step.offset = 5;
    b.dir.offset = 6;
    b.endstop.reset(); /* shares ENABLE 22 */
    node.motors = {a, b};
    const auto lines = configuredLines(node);
    BOOST_TEST_REQUIRE(lines.size() == 6U);
    BOOST_TEST(lines[2].offset == 22U);
    BOOST_TEST(lines[2].use == "turntable ENABLE, tilt ENABLE");

    BOOST_TEST((judgeLine(lines[0], {}).verdict == Verdict::Pass));
    BOOST_TEST(mentions(judgeLine(lines[0], {}), "line 17 (turntable STEP): free"));
    BOOST_TEST((judgeLine(lines[0], {true, "lockstep"}).verdict == Verdict::Pass));
    const Finding other = judgeLine(lines[1], {true, "spi0 CS1"});
    BOOST_TEST((other.verdict == Verdict::Fail));
    BOOST_TEST(mentions(other, "claimed by spi0 CS1"));
}

BOOST_AUTO_TEST_CASE(wake_ups_against_the_rig)
{
    WakeupFigures figures;
    figures.samples = 10'000;
    figures.fifo = true;
    figures.median = microseconds(8);
    figures.p99 = microseconds(40);
    figures.max = microseconds(120);
    BOOST_TEST((judgeWakeups(figures, 150).verdict == Verdict::Pass));
    const Finding beyond = judgeWakeups(figures, 100);
    BOOST_TEST((beyond.verdict == Verdict::Warn));
    BOOST_TEST(mentions(beyond, "max 120.0 us: beyond the rig's wakeup_latency_us 100"));
}

BOOST_AUTO_TEST_CASE(wake_ups_are_measured)
{
    /* 50 ms of 1 ms sleeps: about 50 samples, each at or after its instant. */
    const WakeupFigures f =
        measureWakeups(std::chrono::milliseconds(50), std::chrono::milliseconds(1), 49);
    BOOST_TEST(f.samples >= 45U);
    BOOST_TEST(f.samples <= 50U);
    BOOST_TEST(f.median.count() >= 0);
    BOOST_TEST(f.median <= f.p99);
    BOOST_TEST(f.p99 <= f.max);
}

BOOST_AUTO_TEST_CASE(frame_periods_show_a_dropped_frame)
{
    std::vector<nanoseconds> stamps;
    stamps.reserve(10);
    for (int i = 0; i < 10; ++i)
        stamps.push_back(
            nanoseconds(1'000'000'000LL + i * 33'333'000LL + (i >= 6 ? 33'333'000LL : 0)));
    const FramePeriods p = framePeriods(stamps, microseconds(3'333));
    BOOST_TEST(p.periods == 9U);
    BOOST_TEST(p.median.count() == 33'333'000);
    BOOST_TEST(p.min.count() == 33'333'000);
    BOOST_TEST(p.max.count() == 66'666'000);
    BOOST_TEST(p.outliers == 1U);
    BOOST_TEST(framePeriods({nanoseconds(5)}, microseconds(1)).periods == 0U);
}

BOOST_AUTO_TEST_CASE(exit_status_by_the_worst_line)
{
    std::FILE *sink = std::tmpfile();
    BOOST_TEST_REQUIRE(sink != nullptr);
    SelftestReport report(sink);
    report.add(Verdict::Pass, "gpio", "a");
    report.add(Verdict::Skip, "camera", "b");
    BOOST_TEST(report.exitStatus() == kSelftestPassed);
    report.add(Verdict::Warn, "realtime", "c");
    BOOST_TEST(report.exitStatus() == kSelftestWarned);
    report.add(Verdict::Pass, "clock", "d");
    BOOST_TEST(report.exitStatus() == kSelftestWarned);
    report.add(Verdict::Fail, "board", "e");
    BOOST_TEST(report.exitStatus() == kSelftestFailed);
    BOOST_TEST(report.summary() == "selftest: 2 PASS, 1 WARN, 1 FAIL, 1 SKIP");
    /* Each line is printed as it is found: VERDICT, area, text. */
    std::rewind(sink);
    char line[128] = {};
    BOOST_TEST_REQUIRE(std::fgets(line, sizeof line, sink) != nullptr);
    BOOST_TEST(std::string(line) == "PASS  gpio           a\n");
    std::fclose(sink);
}

BOOST_AUTO_TEST_SUITE_END()
