/* GridLock against a model sensor in virtual time: a control latency the lock is not told, whole
 * lines, a drifting crystal, timestamp jitter. Thousands of frames run in milliseconds. */
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>
#include <optional>
#include <vector>

#include "camera/frame_grid.h"
#include "camera/grid_lock.h"
#include "common/instant_printing.h"
#include "util/errors.h"

using namespace lockstep;
using namespace std::chrono_literals;

namespace
{

/* An instant of the realtime clock, ns nanoseconds after its epoch. */
constexpr RealtimeInstant at(int64_t ns)
{
    return realtimeFromWire(ns);
}

/* A sensor that applies the duration requested at frame n's completion to frame n + latency. */
struct ModelSensor {
    unsigned latency = 6;
    Nanoseconds lineTime = 28'600ns;
    double rate = 1.0;
    Nanoseconds jitter{0}; /* +- on reported starts, alternating */
    SensorMode mode{100ms, 10s, 87ms, 28'600ns};

    RealtimeInstant start = at(1'000'000'000'000'037'123); /* first frame, far from the grid */
    uint64_t sequence = 0;
    std::map<uint64_t, Nanoseconds> requested;
    Nanoseconds current{0};

    Nanoseconds actual(Nanoseconds requestedDuration) const
    {
        const Nanoseconds d =
            std::clamp(requestedDuration, mode.minFrameDuration, mode.maxFrameDuration);
        const int64_t lines = (d + lineTime / 2) / lineTime;
        return Nanoseconds(std::llround(double((lines * lineTime).count()) * rate));
    }
    RealtimeInstant reported() const { return start + (sequence % 2 ? jitter : -jitter); }

    /* Completes the current frame through the lock and moves on to the next. Returns the
     * completed frame's true start. */
    RealtimeInstant step(GridLock &lock)
    {
        if (current == 0ns)
            current = lock.nominalDuration();
        const RealtimeInstant began = start;
        requested[sequence + latency] = lock.onFrame(sequence, reported());
        if (auto it = requested.find(sequence); it != requested.end())
            current = it->second;
        start += actual(current);
        ++sequence;
        return began;
    }
};

GridLock::Options options(CaptureSync scheme, const SensorMode &mode)
{
    GridLock::Options o;
    o.scheme = scheme;
    o.mode = mode;
    o.bound = 200us;
    return o;
}

FrameGrid gridFor(const SensorMode &mode)
{
    const SensorMode modes[] = {mode};
    return chooseFrameGrid(modes, 10ms);
}

} // namespace

BOOST_AUTO_TEST_CASE(grid_instants)
{
    const FrameGrid grid{at(5), 10ns};
    BOOST_TEST(grid.instantAtOrAfter(at(5)) == at(5));
    BOOST_TEST(grid.instantAtOrAfter(at(6)) == at(15));
    BOOST_TEST(grid.instantAtOrAfter(at(-7)) == at(-5));
    BOOST_TEST(grid.nearestInstant(at(9)) == at(5));
    BOOST_TEST(grid.nearestInstant(at(10)) == at(15));
    BOOST_TEST(grid.nearestInstant(at(-1)) == at(-5));
    BOOST_TEST(grid.errorOf(at(-1)).count() == 4);
    BOOST_TEST(grid.errorOf(at(14)).count() == -1);
}

BOOST_AUTO_TEST_CASE(grid_period_is_the_slowest_mode_with_headroom)
{
    const SensorMode modes[] = {
        {47'190'000ns, 0ns, 0ns, 0ns}, {100ms, 0ns, 0ns, 0ns}, {69'690'000ns, 0ns, 0ns, 0ns}};
    const FrameGrid grid = chooseFrameGrid(modes, 10ms);
    BOOST_TEST((grid.period == 102ms));
    BOOST_TEST(grid.origin == at(0));
    /* A long exposure sets the period; whole microseconds. */
    BOOST_TEST((chooseFrameGrid(modes, 500ms + 1ns).period == 510'001us));
    const SensorMode tooFast[] = {{100ms, 0ns, 0ns, 0ns}, {30ms, 90ms, 0ns, 0ns}};
    BOOST_CHECK_THROW(chooseFrameGrid(tooFast, 10ms), InputError);
}

BOOST_AUTO_TEST_CASE(locks_with_a_control_latency_it_is_not_told)
{
    for (const unsigned latency : {1u, 2u, 4u, 6u, 9u}) {
        ModelSensor sensor;
        sensor.latency = latency;
        const FrameGrid grid = gridFor(sensor.mode);
        GridLock lock(grid, options(CaptureSync::PhaseLocked, sensor.mode));
        unsigned frames = 0;
        while (!lock.locked() && frames < 40) {
            sensor.step(lock);
            ++frames;
        }
        BOOST_TEST_INFO("latency " << latency);
        BOOST_TEST_REQUIRE(lock.locked());
        BOOST_TEST(frames <= 2 * latency + 4);
        BOOST_TEST(lock.latency().value_or(0) == latency);
        lock.takeStats();
        Nanoseconds worst{0};
        for (int i = 0; i < 500; ++i)
            worst = std::max(worst, std::chrono::abs(grid.errorOf(sensor.step(lock))));
        /* Whole lines: a frame lands within half a line of where it was asked to. */
        BOOST_TEST((worst <= sensor.lineTime / 2 + 1ns));
        const LockStats stats = lock.takeStats();
        BOOST_TEST(stats.frames == 500u);
        BOOST_TEST(stats.latencyFrames.value_or(0) == latency);
        BOOST_TEST((stats.maxAbs <= sensor.lineTime / 2 + 1ns));
    }
}

BOOST_AUTO_TEST_CASE(follows_a_drifting_crystal_and_jitter)
{
    for (const double ppm : {-40.0, 40.0}) {
        ModelSensor sensor;
        sensor.rate = 1 + ppm * 1e-6;
        sensor.jitter = 8us;
        const FrameGrid grid = gridFor(sensor.mode);
        GridLock lock(grid, options(CaptureSync::PhaseLocked, sensor.mode));
        for (int i = 0; i < 40; ++i)
            sensor.step(lock);
        BOOST_TEST_REQUIRE(lock.locked());
        Nanoseconds worst{0};
        for (int i = 0; i < 3000; ++i) /* five minutes at 10 fps */
            worst = std::max(worst, std::chrono::abs(grid.errorOf(sensor.step(lock))));
        BOOST_TEST_INFO(ppm << " ppm: worst " << worst.count() << " ns");
        BOOST_TEST((worst <= 40us));
    }
}

BOOST_AUTO_TEST_CASE(without_the_lock_a_drifting_sensor_leaves_the_grid)
{
    /* The peer of the test above: the same crystal, nominal durations only. */
    ModelSensor sensor;
    sensor.rate = 1 + 40e-6;
    const FrameGrid grid = gridFor(sensor.mode);
    sensor.start = grid.instantAtOrAfter(sensor.start);
    const Nanoseconds nominal = sensor.actual(grid.period);
    RealtimeInstant last = sensor.start;
    for (int i = 0; i < 3000; ++i)
        last += nominal;
    BOOST_TEST((std::chrono::abs(grid.errorOf(last)) > 1ms));
}

/* Open loop: a capture at an instant 6 periods (and half a period) ahead of the last frame. */
Nanoseconds openLoopMiss(unsigned latency)
{
    ModelSensor sensor;
    sensor.latency = latency;
    const FrameGrid grid = gridFor(sensor.mode);
    GridLock lock(grid, options(CaptureSync::OpenLoop, sensor.mode));
    for (int i = 0; i < 10; ++i)
        sensor.step(lock);
    const RealtimeInstant t = grid.nearestInstant(sensor.start + 6 * grid.period + grid.period / 2);
    lock.prepareCapture(t);
    Nanoseconds nearest = Nanoseconds::max();
    for (int i = 0; i < 12; ++i) {
        const RealtimeInstant start = sensor.step(lock);
        if (std::chrono::abs(start - t) < std::chrono::abs(nearest))
            nearest = start - t;
    }
    return nearest;
}

BOOST_AUTO_TEST_CASE(open_loop_misses_when_the_latency_is_longer_than_it_assumes)
{
    /* It assumes 5 frames (buffers + 2): right for a sensor that answers within 5 frames, up to
     * the nominal frames' own error over the wait (whole lines: 12.4 us a frame here). */
    BOOST_TEST((std::chrono::abs(openLoopMiss(4)) <= 100us));
    BOOST_TEST((std::chrono::abs(openLoopMiss(5)) <= 100us));
    /* An IMX477 on a Pi takes 6: the stretch lands one frame after the one it was for. */
    const Nanoseconds miss = openLoopMiss(6);
    BOOST_TEST_INFO("open loop, latency 6: missed by " << miss.count() << " ns");
    BOOST_TEST((std::chrono::abs(miss) > 10ms));
}

BOOST_AUTO_TEST_CASE(a_lost_probe_is_sent_again)
{
    /* A sensor that ignores every request until frame 40 (as a pipeline still starting up). */
    ModelSensor sensor;
    const FrameGrid grid = gridFor(sensor.mode);
    GridLock lock(grid, options(CaptureSync::PhaseLocked, sensor.mode));
    for (int i = 0; i < 40; ++i) {
        sensor.step(lock);
        sensor.requested.clear();
    }
    BOOST_TEST(!lock.locked());
    for (int i = 0; i < 40 && !lock.locked(); ++i)
        sensor.step(lock);
    BOOST_TEST(lock.locked());
    BOOST_TEST(lock.latency().value_or(0) == sensor.latency);
}

BOOST_AUTO_TEST_CASE(follow_mode_only_measures_while_something_else_holds_the_phase)
{
    /* Raspberry Pi's camera sync holds a client's phase: lockstep's loop must not steer (every
     * request nominal), yet it records the lock error and counts as locked within the bound. */
    const FrameGrid grid{at(0), 102ms};
    ModelSensor sensor;
    GridLock::Options opts = options(CaptureSync::PhaseLocked, sensor.mode);
    opts.follow = true;
    GridLock lock(grid, opts);
    const Nanoseconds nominal = lock.nominalDuration();
    sensor.start = grid.origin + 5'000 * grid.period + 40ms; /* 40 ms off the grid */
    for (int i = 0; i < 20; ++i) {
        const Nanoseconds duration = lock.onFrame(sensor.sequence++, sensor.start);
        BOOST_REQUIRE_EQUAL(duration.count(),
                            (sensor.actual(nominal) / sensor.lineTime * sensor.lineTime).count());
        sensor.start += grid.period;
    }
    BOOST_CHECK(!lock.locked());
    BOOST_CHECK_EQUAL(lock.takeStats().frames, 0u);
    sensor.start = grid.origin + 6'000 * grid.period + 3us; /* the sync pulled it onto the grid */
    for (int i = 0; i < 5; ++i) {
        lock.onFrame(sensor.sequence++, sensor.start);
        sensor.start += grid.period;
    }
    BOOST_CHECK(lock.locked());
    const LockStats stats = lock.takeStats();
    BOOST_CHECK_EQUAL(stats.frames, 5u);
    BOOST_CHECK_EQUAL(stats.maxAbs.count(), Nanoseconds(3us).count());
    BOOST_CHECK(!stats.latencyFrames);
}
