#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <future>
#include <memory>
#include <thread>
#include <unistd.h>

#include <hwloc.h>
#include <hwloc/linux.h>

#include "common/instant_printing.h"
#include "common/preconditions.h"
#include "gpio/sim_gpio.h"
#include "motion/cpu_pin.h"
#include "motion/step_executor.h"
#include "motion_test_support.h"

using namespace lockstep;
using namespace std::chrono_literals;
using lockstep::test::RecordingLines;
using lockstep::test::TempDir;
namespace utf = boost::unit_test;

namespace
{

/* Two drivers; ENABLE active low as on the common A4988/DRV8825 boards. */
const std::vector<MotorLines> kMotors{
    {.step = 2, .dir = 3, .enable = 4, .enableActiveLow = true},
    {.step = 5, .dir = 6, .dirActiveLow = true, .enable = 7, .enableActiveLow = true},
};

ExecutorOptions testOptions()
{
    ExecutorOptions o;
    o.realtime = false;
    /* The test machine is shared: lateness is recorded but must not abort these moves. */
    o.maxLateness = 1s;
    o.maxLatenessPeriods = 1e6;
    return o;
}

std::vector<SimDriver> simDrivers()
{
    std::vector<SimDriver> drivers;
    for (size_t i = 0; i < kMotors.size(); ++i) {
        SimDriver d;
        d.motor = "m" + std::to_string(i);
        d.lines = kMotors[i];
        drivers.push_back(d);
    }
    return drivers;
}

LineRequest simRequest()
{
    LineRequest r;
    for (const MotorLines &m : kMotors) {
        r.outputs.insert(r.outputs.end(), {m.step, m.dir, m.enable});
        r.initialLevels.insert(
            r.initialLevels.end(),
            {uint8_t(m.stepActiveLow), uint8_t(m.dirActiveLow), uint8_t(m.enableActiveLow)});
    }
    return r;
}

struct SimBench {
    TempDir dir;
    SimGpio gpio{dir.path(), "node", simDrivers(), simRequest()};
    /* The request's initial levels are edges too: count from here. */
    size_t firstEdge = gpio.edges().size();

    std::vector<Edge> moveEdges() const
    {
        const std::vector<Edge> all = gpio.edges();
        return {all.begin() + static_cast<std::ptrdiff_t>(firstEdge), all.end()};
    }
    std::vector<Edge> edgesOf(unsigned offset) const
    {
        std::vector<Edge> out;
        for (const Edge &e : moveEdges())
            if (e.offset == offset)
                out.push_back(e);
        return out;
    }
};

uint8_t enableLevel(GpioLines &lines, const MotorLines &m, bool active)
{
    (void)lines;
    return active != m.enableActiveLow ? 1 : 0;
}

bool enabled(GpioLines &lines, const MotorLines &m)
{
    return lines.get(m.enable) == enableLevel(lines, m, true);
}

MovePlan twoAxisPlan(int64_t steps0, int64_t steps1, double rate = 2000, double accel = 40000)
{
    return MovePlan::plan({{0, steps0, rate, accel}, {100, 100 + steps1, rate, accel}});
}

struct TopologyDeleter {
    void operator()(hwloc_topology *t) const { hwloc_topology_destroy(t); }
};
struct BitmapDeleter {
    void operator()(hwloc_bitmap_s *b) const { hwloc_bitmap_free(b); }
};
using Topology = std::unique_ptr<hwloc_topology, TopologyDeleter>;
using Bitmap = std::unique_ptr<hwloc_bitmap_s, BitmapDeleter>;

Topology loadTopology(const char *synthetic = nullptr)
{
    hwloc_topology_t raw = nullptr;
    BOOST_REQUIRE(hwloc_topology_init(&raw) == 0);
    Topology topology(raw);
    if (synthetic != nullptr)
        BOOST_REQUIRE(hwloc_topology_set_synthetic(raw, synthetic) == 0);
    BOOST_REQUIRE(hwloc_topology_load(raw) == 0);
    return topology;
}

Bitmap cpus(std::initializer_list<unsigned> list)
{
    Bitmap set(hwloc_bitmap_alloc());
    for (const unsigned cpu : list)
        hwloc_bitmap_set(set.get(), cpu);
    return set;
}

/* The binding of the calling thread, or of a thread started now (what inheritance gives). */
Bitmap threadBinding(hwloc_topology_t topology)
{
    Bitmap set(hwloc_bitmap_alloc());
    BOOST_REQUIRE(hwloc_get_cpubind(topology, set.get(), HWLOC_CPUBIND_THREAD) == 0);
    return set;
}
Bitmap newThreadBinding(hwloc_topology_t topology)
{
    Bitmap set(hwloc_bitmap_alloc());
    int rc = -1;
    std::thread([&] { rc = hwloc_get_cpubind(topology, set.get(), HWLOC_CPUBIND_THREAD); }).join();
    BOOST_REQUIRE(rc == 0);
    return set;
}

/* Precondition of the core-reservation cases: this process may use two CPUs or more. */
boost::test_tools::assertion_result severalCpus(boost::unit_test::test_unit_id id)
{
    const Topology topology = loadTopology();
    const Bitmap allowed(hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(topology.get())));
    hwloc_bitmap_and(allowed.get(), allowed.get(), threadBinding(topology.get()).get());
    return lockstep::test::skipUnless(
        id, hwloc_bitmap_weight(allowed.get()) >= 2,
        "needs two CPUs: this process may use only one, no core can be kept apart");
}

/* A thread that holds a core reservation until told to end. */
class Reserver
{
public:
    Reserver()
        : thread_([this] {
              const CoreReservation reservation = reserveCoreForCallingThread();
              reserved_.set_value({reservation, gettid()});
              end_.get_future().wait();
              releaseCoreOfCallingThread();
          }),
          result_(reserved_.get_future().get())
    {
    }
    ~Reserver()
    {
        end_.set_value();
        thread_.join();
    }
    Reserver(const Reserver &) = delete;
    Reserver &operator=(const Reserver &) = delete;

    const CoreReservation &reservation() const { return result_.first; }
    pid_t tid() const { return result_.second; }

private:
    std::promise<std::pair<CoreReservation, pid_t>> reserved_;
    std::promise<void> end_;
    std::thread thread_;
    std::pair<CoreReservation, pid_t> result_;
};

} // namespace

BOOST_AUTO_TEST_SUITE(step_executor)

BOOST_AUTO_TEST_CASE(edges_on_the_sim_backend)
{
    SimBench sim;
    const ExecutorOptions options = testOptions();
    const MovePlan plan = twoAxisPlan(120, -40);
    MoveReport report;
    {
        StepExecutor executor(sim.gpio, kMotors, options);
        BOOST_TEST(!enabled(sim.gpio, kMotors[0]));
        report = executor.execute(plan);
        BOOST_TEST(report.completed);
        BOOST_TEST(report.stopReason.empty());
        BOOST_TEST(enabled(sim.gpio, kMotors[0])); /* holding torque after the move */
        BOOST_TEST(enabled(sim.gpio, kMotors[1]));
    }
    /* The destructor released ENABLE. */
    BOOST_TEST(!enabled(sim.gpio, kMotors[0]));
    BOOST_TEST(!enabled(sim.gpio, kMotors[1]));

    BOOST_TEST(report.finalSteps == std::vector<int64_t>({120, 60}));
    BOOST_TEST(sim.gpio.driverStep("m0") == 120);
    BOOST_TEST(sim.gpio.driverStep("m1") == -40); /* the sim driver started at 0 */
    BOOST_TEST(report.edges == size_t{2} * (120 + 40));
    BOOST_TEST(report.lateness.size() == report.edges);
    BOOST_TEST(std::all_of(report.lateness.begin(), report.lateness.end(),
                           [](Nanoseconds l) { return l >= 0ns; }));
    BOOST_TEST(
        (report.maxLateness == *std::max_element(report.lateness.begin(), report.lateness.end())));

    /* Every edge of the move: the STEP pulses, ENABLE on then off, DIR where it changed. */
    BOOST_TEST(sim.moveEdges().size() == size_t{2} * (120 + 40) + 2 + 2 + 1);
    for (size_t m = 0; m < kMotors.size(); ++m) {
        const std::vector<Edge> steps = sim.edgesOf(kMotors[m].step);
        const std::vector<Edge> enable = sim.edgesOf(kMotors[m].enable);
        BOOST_TEST_REQUIRE(enable.size() == 2u);
        /* The simulated lines' edges are integer CLOCK_MONOTONIC nanoseconds. */
        BOOST_TEST((Nanoseconds(steps.front().time - enable.front().time) >= options.enableSetup));
        BOOST_TEST(enable.back().time >= steps.back().time);
        for (size_t i = 0; i < steps.size(); ++i) {
            BOOST_TEST_REQUIRE(steps[i].level == (i % 2 == 0 ? 1 : 0));
            if (i % 2 == 1)
                BOOST_TEST_REQUIRE(
                    (Nanoseconds(steps[i].time - steps[i - 1].time) >= options.stepPulse));
            if (i > 0)
                BOOST_TEST_REQUIRE(steps[i].time >= steps[i - 1].time);
        }
    }
    /* m0 moves positive: its DIR (active high) rises once, before its first step. */
    const std::vector<Edge> dir0 = sim.edgesOf(kMotors[0].dir);
    BOOST_TEST_REQUIRE(dir0.size() == 1u);
    BOOST_TEST(dir0.front().level == 1);
    BOOST_TEST((Nanoseconds(sim.edgesOf(kMotors[0].step).front().time - dir0.front().time) >=
                options.dirSetup));
    /* m1 moves negative with an active-low DIR: already high (inactive) since the request. */
    BOOST_TEST(sim.edgesOf(kMotors[1].dir).empty());
    BOOST_TEST(sim.gpio.get(kMotors[1].dir) == 1);
}

BOOST_AUTO_TEST_CASE(simultaneous_steps_share_one_call)
{
    RecordingLines lines;
    {
        StepExecutor executor(lines, kMotors, testOptions());
        BOOST_TEST(executor.execute(twoAxisPlan(50, 50)).completed);
    }
    size_t stepCalls = 0;
    for (const RecordingLines::Call &call : lines.calls()) {
        const bool hasStep = std::count(call.offsets.begin(), call.offsets.end(), 2u) > 0;
        if (!hasStep)
            continue;
        ++stepCalls;
        BOOST_TEST_REQUIRE(call.offsets.size() == 2u);
        BOOST_TEST_REQUIRE(call.offsets[1] == 5u);
    }
    BOOST_TEST(stepCalls == 100u);
}

BOOST_AUTO_TEST_CASE(release_is_idempotent_and_keeps_enable_inactive)
{
    RecordingLines lines;
    StepExecutor executor(lines, kMotors, testOptions());
    BOOST_TEST(executor.execute(twoAxisPlan(10, 0)).completed);
    BOOST_TEST(enabled(lines, kMotors[0]));
    BOOST_TEST(!enabled(lines, kMotors[1])); /* an axis that does not move is not enabled */
    executor.release();
    executor.release();
    BOOST_TEST(!enabled(lines, kMotors[0]));
    /* A new move enables again. */
    BOOST_TEST(executor.execute(twoAxisPlan(0, 10)).completed);
    BOOST_TEST(enabled(lines, kMotors[1]));
}

BOOST_AUTO_TEST_CASE(stop_flag_mid_move_releases_enable)
{
    SimBench sim;
    StepExecutor executor(sim.gpio, kMotors, testOptions());
    std::atomic<bool> stop{false};
    const MovePlan plan = twoAxisPlan(2000, 2000, 2000, 20000); /* about 1.1 s */
    /* Stop once the motor is under way (a loaded machine may start the move late). */
    std::thread stopper([&] {
        const MonotonicInstant giveUp = MonotonicClock::now() + 10s;
        while (sim.gpio.driverStep("m0") < 10 && MonotonicClock::now() < giveUp)
            sleepUntil(MonotonicClock::now() + 1ms);
        stop = true;
    });
    const MoveReport report = executor.execute(plan, &stop);
    stopper.join();
    BOOST_TEST(!report.completed);
    BOOST_TEST(report.stopReason == "stop requested");
    BOOST_TEST(report.finalSteps[0] > 0);
    BOOST_TEST(report.finalSteps[0] < 2000);
    BOOST_TEST(report.finalSteps[0] == sim.gpio.driverStep("m0"));
    BOOST_TEST(report.endMonotonic < report.startMonotonic + plan.duration());
    BOOST_TEST(!enabled(sim.gpio, kMotors[0]));
    BOOST_TEST(!enabled(sim.gpio, kMotors[1]));
    /* No pulse is left hanging. */
    BOOST_TEST(sim.gpio.get(kMotors[0].step) == 0);
}

BOOST_AUTO_TEST_CASE(stop_is_seen_during_a_long_wait)
{
    RecordingLines lines;
    StepExecutor executor(lines, kMotors, testOptions());
    std::atomic<bool> stop{false};
    /* One step per 2 s: the first step is far away. */
    const MovePlan plan = MovePlan::plan({{0, 3, 0.5, 1000}, {0, 0, 0, 0}});
    std::thread stopper([&] {
        sleepUntil(MonotonicClock::now() + 20ms);
        stop = true;
    });
    const MoveReport report = executor.execute(plan, &stop);
    stopper.join();
    BOOST_TEST(report.stopReason == "stop requested");
    BOOST_TEST(report.edges == 0u);
    BOOST_TEST(report.endMonotonic < report.startMonotonic + plan.stepTime(0, 1));
    BOOST_TEST(!enabled(lines, kMotors[0]));
}

BOOST_AUTO_TEST_CASE(release_from_another_thread_stops_the_move)
{
    RecordingLines lines;
    StepExecutor executor(lines, kMotors, testOptions());
    /* Release once the move is under way: a few STEP calls after ENABLE and DIR. */
    std::thread releaser([&] {
        const MonotonicInstant giveUp = MonotonicClock::now() + 10s;
        while (lines.calls().size() < 10 && MonotonicClock::now() < giveUp)
            sleepUntil(MonotonicClock::now() + 1ms);
        executor.release();
    });
    const MoveReport report = executor.execute(twoAxisPlan(2000, 0, 2000, 20000));
    releaser.join();
    BOOST_TEST(!report.completed);
    BOOST_TEST(report.stopReason == "released during the move");
    BOOST_TEST(!enabled(lines, kMotors[0]));
    /* Nothing was driven after the release except what release() itself set. */
    const std::vector<RecordingLines::Call> calls = lines.calls();
    BOOST_TEST(calls.back().offsets == std::vector<unsigned>({4, 7}));
}

BOOST_AUTO_TEST_CASE(observer_sees_positions_advance_to_the_target)
{
    SimBench sim;
    StepExecutor executor(sim.gpio, kMotors, testOptions());
    /* About 0.3 s, observed every 20 ms. The second axis starts at step 100 and goes down. */
    const MovePlan plan = MovePlan::plan({{0, 500, 2000, 20000}, {100, -400, 2000, 20000}});
    std::vector<std::vector<int64_t>> seen;
    MoveObserver observer;
    observer.interval = 20ms;
    observer.onProgress = [&](std::span<const int64_t> steps) {
        seen.emplace_back(steps.begin(), steps.end());
    };
    const MoveReport report = executor.execute(plan, nullptr, &observer);
    BOOST_TEST(report.completed);
    BOOST_TEST_REQUIRE(seen.size() >= 3u);
    /* Somewhere in between on the way, never backwards, and the last call at the target. */
    BOOST_TEST(std::any_of(seen.begin(), seen.end(),
                           [](const auto &s) { return s[0] > 0 && s[0] < 500; }));
    for (size_t i = 1; i < seen.size(); ++i) {
        BOOST_TEST(seen[i][0] >= seen[i - 1][0]);
        BOOST_TEST(seen[i][1] <= seen[i - 1][1]);
    }
    BOOST_TEST(seen.back() == std::vector<int64_t>({500, -400}), boost::test_tools::per_element());
    BOOST_TEST(seen.back() == report.finalSteps, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(execute_until_stops_at_the_step_where_the_input_goes_active)
{
    /* Motor 0 has an endstop on line 8, active low, active from step 300 upwards. */
    std::vector<SimDriver> drivers = simDrivers();
    drivers[0].endstop = 8;
    drivers[0].endstopActiveLow = true;
    drivers[0].endstopStep = 300;
    drivers[0].homingDirection = 1;
    LineRequest request = simRequest();
    request.inputs.push_back(8);
    TempDir dir;
    SimGpio gpio(dir.path(), "node", drivers, request);
    StepExecutor executor(gpio, kMotors, testOptions());
    const InputTrigger endstop{8, true};

    const MoveReport report = executor.executeUntil(twoAxisPlan(1000, 0), endstop);
    BOOST_TEST(report.triggered);
    BOOST_TEST(!report.completed);
    BOOST_TEST(report.stopReason.empty());
    BOOST_TEST(report.finalSteps[0] == 300);
    BOOST_TEST(gpio.driverStep("m0") == 300);
    BOOST_TEST(gpio.get(kMotors[0].step) == 0); /* the pulse ended */
    BOOST_TEST(enabled(gpio, kMotors[0]));      /* held: homing backs off from here */

    /* Already active: nothing moves. */
    const MoveReport again =
        executor.executeUntil(MovePlan::plan({{300, 900, 2000, 40000}, {100, 100, 0, 0}}), endstop);
    BOOST_TEST(again.triggered);
    BOOST_TEST(again.edges == 0u);
    BOOST_TEST(gpio.driverStep("m0") == 300);

    /* Never active on the way: the move completes. */
    BOOST_TEST(
        executor.execute(MovePlan::plan({{300, 100, 2000, 40000}, {100, 100, 0, 0}})).completed);
    const MoveReport short_ =
        executor.executeUntil(MovePlan::plan({{100, 250, 2000, 40000}, {100, 100, 0, 0}}), endstop);
    BOOST_TEST(short_.completed);
    BOOST_TEST(!short_.triggered);
    BOOST_TEST(gpio.driverStep("m0") == 250);
}

BOOST_AUTO_TEST_CASE(lateness_bound_aborts)
{
    SimBench sim;
    ExecutorOptions options = testOptions();
    options.maxLateness = 1ns; /* no edge is ever within 1 ns */
    StepExecutor executor(sim.gpio, kMotors, options);
    const MoveReport report = executor.execute(twoAxisPlan(100, 0));
    BOOST_TEST(!report.completed);
    /* The first step is already too late when it is due: it is not sent at all. */
    BOOST_TEST(report.edges == 0u);
    BOOST_TEST(report.finalSteps.at(0) == twoAxisPlan(100, 0).fromStep(0));
    BOOST_TEST(report.stopReason.find("would be late by") != std::string::npos, report.stopReason);
    BOOST_TEST(report.stopReason.find("not sent") != std::string::npos, report.stopReason);
    /* Says what the thread was given and where the time went, for whoever reads the log. */
    BOOST_TEST(report.stopReason.find("not real-time") != std::string::npos, report.stopReason);
    BOOST_TEST(report.stopReason.find("involuntary context switches") != std::string::npos,
               report.stopReason);
    BOOST_TEST(!enabled(sim.gpio, kMotors[0]));
    BOOST_TEST(sim.gpio.get(kMotors[0].step) == 0);
}

BOOST_AUTO_TEST_CASE(slow_gpio_aborts)
{
    RecordingLines lines;
    lines.sleepInSet(3ms);
    ExecutorOptions options = testOptions();
    options.maxLateness = 1ms;
    StepExecutor executor(lines, kMotors, options);
    const MoveReport report = executor.execute(twoAxisPlan(100, 0));
    BOOST_TEST(!report.completed);
    BOOST_TEST(report.stopReason.find("late by") != std::string::npos, report.stopReason);
    BOOST_TEST((report.maxLateness > options.maxLateness));
    BOOST_TEST(!enabled(lines, kMotors[0]));
}

BOOST_AUTO_TEST_CASE(gpio_error_aborts_and_releases)
{
    RecordingLines lines;
    lines.failOn(kMotors[0].step);
    StepExecutor executor(lines, kMotors, testOptions());
    const MoveReport report = executor.execute(twoAxisPlan(10, 10));
    BOOST_TEST(!report.completed);
    BOOST_TEST(report.stopReason.find("GPIO error") != std::string::npos, report.stopReason);
    BOOST_TEST(report.edges == 0u);
    BOOST_TEST(!enabled(lines, kMotors[0]));
    BOOST_TEST(!enabled(lines, kMotors[1]));
}

BOOST_AUTO_TEST_CASE(rejects_bad_requests_before_moving)
{
    RecordingLines lines;
    StepExecutor executor(lines, kMotors, testOptions());
    const size_t before = lines.calls().size();
    /* 400 kHz needs 1.25 us periods: too fast for a 2 us pulse. */
    BOOST_CHECK_THROW(executor.execute(twoAxisPlan(1000, 0, 400'000, 1e9)), std::invalid_argument);
    BOOST_CHECK_THROW(executor.execute(MovePlan::plan({{0, 10, 100, 100}})), std::invalid_argument);
    BOOST_TEST(lines.calls().size() == before);

    ExecutorOptions bad = testOptions();
    bad.stepPulse = 0ns;
    BOOST_CHECK_THROW(StepExecutor(lines, kMotors, bad), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(zero_length_move_touches_nothing)
{
    RecordingLines lines;
    StepExecutor executor(lines, kMotors, testOptions());
    const size_t before = lines.calls().size();
    const MoveReport report = executor.execute(twoAxisPlan(0, 0));
    BOOST_TEST(report.completed);
    BOOST_TEST(report.finalSteps == std::vector<int64_t>({0, 100}));
    BOOST_TEST(lines.calls().size() == before);
}

BOOST_AUTO_TEST_CASE(realtime_status_explains_what_was_refused)
{
    RecordingLines lines;
    ExecutorOptions options = testOptions();
    options.realtime = true;
    StepExecutor executor(lines, kMotors, options);
    const RealtimeStatus &status = executor.realtimeStatus();
    const bool everything = status.fifo && status.locked && status.cpu >= 0 && status.isolated;
    BOOST_TEST(status.warning.empty() == everything, status.warning);
    BOOST_TEST(executor.execute(twoAxisPlan(20, 20)).completed);
}

BOOST_AUTO_TEST_CASE(executor_cpu_is_the_last_allowed_core)
{
    hwloc_topology_t topology = nullptr;
    BOOST_REQUIRE(hwloc_topology_init(&topology) == 0);
    BOOST_REQUIRE(hwloc_topology_set_synthetic(topology, "pack:1 core:4 pu:2") == 0);
    BOOST_REQUIRE(hwloc_topology_load(topology) == 0);
    hwloc_bitmap_t allowed = hwloc_bitmap_alloc();
    /* Whole machine: core 3, its first hyper-thread (PUs are numbered 2 per core). */
    hwloc_bitmap_set_range(allowed, 0, 7);
    BOOST_TEST(chooseExecutorCpu(topology, allowed) == 6);
    /* A job given PUs 1-4: the last core touching them is core 2, of which only PU 4. */
    hwloc_bitmap_zero(allowed);
    hwloc_bitmap_set_range(allowed, 1, 4);
    BOOST_TEST(chooseExecutorCpu(topology, allowed) == 4);
    hwloc_bitmap_zero(allowed);
    BOOST_TEST(chooseExecutorCpu(topology, allowed) == -1);
    hwloc_bitmap_free(allowed);
    hwloc_topology_destroy(topology);
}

BOOST_AUTO_TEST_CASE(other_threads_keep_off_the_executor_core)
{
    const Topology topology = loadTopology("pack:1 core:4 pu:2");
    const Bitmap others(hwloc_bitmap_alloc());
    /* Whole machine: the executor on PU 6, its hyper-thread 7 left idle too. */
    BOOST_TEST(
        splitForExecutor(topology.get(), cpus({0, 1, 2, 3, 4, 5, 6, 7}).get(), others.get()) == 6);
    BOOST_TEST(hwloc_bitmap_isequal(others.get(), cpus({0, 1, 2, 3, 4, 5}).get()));
    /* PUs 1-4: the executor on PU 4, alone in what is allowed of its core. */
    BOOST_TEST(splitForExecutor(topology.get(), cpus({1, 2, 3, 4}).get(), others.get()) == 4);
    BOOST_TEST(hwloc_bitmap_isequal(others.get(), cpus({1, 2, 3}).get()));
    /* One core: the others get its other hyper-thread rather than nothing. */
    BOOST_TEST(splitForExecutor(topology.get(), cpus({2, 3}).get(), others.get()) == 2);
    BOOST_TEST(hwloc_bitmap_isequal(others.get(), cpus({3}).get()));
    /* One CPU: nothing to keep apart. */
    BOOST_TEST(splitForExecutor(topology.get(), cpus({5}).get(), others.get()) == 5);
    BOOST_TEST(hwloc_bitmap_iszero(others.get()));
    BOOST_TEST(splitForExecutor(topology.get(), cpus({}).get(), others.get()) == -1);
    BOOST_TEST(hwloc_bitmap_iszero(others.get()));
}

BOOST_AUTO_TEST_CASE(threads_started_after_the_executor_avoid_its_core,
                     *utf::label("needs_two_cpus") * utf::precondition(severalCpus))
{
    const Topology topology = loadTopology();
    const Bitmap before = newThreadBinding(topology.get());
    int cpu = -1;
    {
        RecordingLines lines;
        ExecutorOptions options = testOptions();
        options.realtime = true;
        StepExecutor executor(lines, kMotors, options);
        const RealtimeStatus &status = executor.realtimeStatus();
        cpu = status.cpu;
        BOOST_TEST_REQUIRE(cpu >= 0, status.warning);
        BOOST_TEST(status.isolated, status.warning);
        BOOST_TEST(hwloc_bitmap_isset(before.get(), static_cast<unsigned>(cpu)));
        /* Like a writer pool or camera started after the motors, and this thread itself. */
        const Bitmap later = newThreadBinding(topology.get());
        BOOST_TEST(!hwloc_bitmap_isset(later.get(), static_cast<unsigned>(cpu)));
        BOOST_TEST(!hwloc_bitmap_iszero(later.get()));
        BOOST_TEST(
            !hwloc_bitmap_isset(threadBinding(topology.get()).get(), static_cast<unsigned>(cpu)));
        BOOST_TEST(executor.execute(twoAxisPlan(20, 20)).completed);
    }
    /* The executor is gone: its core is everyone's again. */
    BOOST_TEST(hwloc_bitmap_isequal(newThreadBinding(topology.get()).get(), before.get()));
    BOOST_TEST(hwloc_bitmap_isequal(threadBinding(topology.get()).get(), before.get()));
}

BOOST_AUTO_TEST_CASE(a_second_reservation_leaves_the_first_core_alone,
                     *utf::label("needs_two_cpus") * utf::precondition(severalCpus))
{
    const Topology topology = loadTopology();
    const Bitmap before = newThreadBinding(topology.get());
    {
        const Reserver first;
        const int cpu = first.reservation().cpu;
        BOOST_TEST_REQUIRE(cpu >= 0, first.reservation().problem);
        BOOST_TEST(first.reservation().isolated, first.reservation().problem);
        {
            const Reserver second;
            BOOST_TEST(second.reservation().cpu >= 0, second.reservation().problem);
            BOOST_TEST(second.reservation().cpu != cpu);
            /* The first executor stays alone on its CPU; nobody else is given it. */
            const Bitmap firstBinding(hwloc_bitmap_alloc());
            BOOST_REQUIRE(
                hwloc_linux_get_tid_cpubind(topology.get(), first.tid(), firstBinding.get()) == 0);
            BOOST_TEST(
                hwloc_bitmap_isequal(firstBinding.get(), cpus({static_cast<unsigned>(cpu)}).get()));
            BOOST_TEST(!hwloc_bitmap_isset(newThreadBinding(topology.get()).get(),
                                           static_cast<unsigned>(cpu)));
        }
        BOOST_TEST(!hwloc_bitmap_isset(newThreadBinding(topology.get()).get(),
                                       static_cast<unsigned>(cpu)));
    }
    BOOST_TEST(hwloc_bitmap_isequal(newThreadBinding(topology.get()).get(), before.get()));
}

BOOST_AUTO_TEST_SUITE_END()

namespace
{

/* The times at which the STEP line of `m` went active, from the recorded calls. */
std::vector<MonotonicInstant> stepTimes(const RecordingLines &lines, const MotorLines &m)
{
    std::vector<MonotonicInstant> times;
    for (const RecordingLines::Call &call : lines.calls())
        for (size_t i = 0; i < call.offsets.size(); ++i)
            if (call.offsets[i] == m.step && call.levels[i] == (m.stepActiveLow ? 0 : 1))
                times.push_back(call.time);
    return times;
}

} // namespace

BOOST_AUTO_TEST_CASE(never_exceeds_the_planned_rate_after_a_stall)
{
    /* 400 steps cruising at 5000 steps/s (200 us apart); the GPIO call of the 100th step stalls
     * 100 ms, 500 step periods. Catching up would send those steps back to back at the pulse's
     * own limit (250k steps/s); the executor shifts the rest of the move instead. */
    /* Calls: the executor's initial release, ENABLE+DIR, then two per step (STEP active, STEP
     * inactive): the stall hits the 100th step's pulse start, or the 99th's pulse end. */
    {
        /* A move first, not measured. The first step's GPIO call in a process costs more than
         * any later one (under qemu-user, which runs the arm64 tests, 50-150 us: the code on its
         * path is translated then), and the executor cannot see inside a call: it subtracts the
         * least call cost seen so far, which is the first call's own. Step 2 then came that much
         * early against step 1 (7 runs in 10 under qemu), which is not what the stall does. */
        RecordingLines warmUp;
        StepExecutor executor(warmUp, kMotors, testOptions());
        BOOST_REQUIRE(executor.execute(twoAxisPlan(20, 0, 5000, 1e6)).completed);
    }
    for (const size_t stalled : {size_t(2 * 100), size_t(2 * 99 + 1)}) {
        BOOST_TEST_CONTEXT("stall in call " << stalled)
        {
            RecordingLines lines;
            ExecutorOptions options = testOptions();
            options.maxLatenessPeriods = 1e6; /* this test is about the rate, not the abort */
            StepExecutor executor(lines, kMotors, options);
            const MovePlan plan = twoAxisPlan(400, 0, 5000, 1e6);
            lines.stallOnce(stalled, 100ms);
            const MoveReport report = executor.execute(plan);
            BOOST_TEST(report.completed, report.stopReason);
            BOOST_TEST((report.shift >= 3ms));

            const std::vector<MonotonicInstant> times = stepTimes(lines, kMotors[0]);
            BOOST_REQUIRE_EQUAL(times.size(), 400u);
            Nanoseconds shortest = 1s;
            for (size_t k = 1; k < times.size(); ++k) {
                const Nanoseconds planned =
                    plan.stepTime(0, int64_t(k + 1)) - plan.stepTime(0, int64_t(k));
                const Nanoseconds actual = times[k] - times[k - 1];
                shortest = std::min(shortest, actual - planned);
                /* Within the GPIO call's own least cost, which the executor cannot see inside. */
                BOOST_REQUIRE_MESSAGE(actual >= planned - 20us,
                                      "step " << k + 1 << " came " << actual.count()
                                              << " ns after step " << k << ", planned "
                                              << planned.count());
            }
            BOOST_TEST_MESSAGE("shortest step interval minus its planned one: "
                               << shortest.count() << " ns; shift " << report.shift.count()
                               << " ns");
        }
    }
}

BOOST_AUTO_TEST_CASE(a_stall_longer_than_the_step_period_bound_stops_the_move)
{
    RecordingLines lines;
    ExecutorOptions options = testOptions();
    options.maxLatenessPeriods = 4; /* 800 us at 5000 steps/s; the absolute bound is 1 s */
    StepExecutor executor(lines, kMotors, options);
    lines.stallOnce(size_t{200}, 3ms);
    const MoveReport report = executor.execute(twoAxisPlan(400, 0, 5000, 1e6));
    BOOST_TEST(!report.completed);
    BOOST_TEST(report.stopReason.find("of its step period") != std::string::npos,
               report.stopReason);
    BOOST_TEST(report.finalSteps.at(0) < 400);
    BOOST_TEST(!enabled(lines, kMotors[0]));
}

namespace
{

/* A single-axis move of 20 steps cruising at `rate` steps/s (the acceleration is high enough to
 * reach it within a step) whose GPIO call `call` stalls `stall` once. Calls: the executor's initial
 * release, ENABLE+DIR, then two per step, so call 2k starts the k-th step. */
MoveReport stallOneStep(RecordingLines &lines, const ExecutorOptions &options, double rate,
                        size_t step, Nanoseconds stall)
{
    StepExecutor executor(lines, kMotors, options);
    lines.stallOnce(2 * step, stall);
    return executor.execute(twoAxisPlan(20, 0, rate, 1e9));
}

} // namespace

/* The fraction of the step period (docs/configuration.md, `max_lateness_periods`, 2 by
 * default) at a rate where it is the tighter bound: a step later than 2 periods stops the
 * move although it is far within the absolute bound, one later by half a period does not.
 * 20 steps/s (50 ms periods, a 100 ms bound) instead of the product's 5000 steps/s (400 us):
 * the test machine is shared and not real-time, and its own scheduling delays (10 ms and more
 * were seen under load) must not decide the outcome; the stalls are 4x over and 4x under. */
BOOST_AUTO_TEST_CASE(the_step_period_fraction_stops_a_step_late_by_more_and_only_that)
{
    ExecutorOptions options = testOptions();
    options.maxLatenessPeriods = 2; /* the product's default */
    options.maxLateness = 1s;       /* well above the fraction: it must not decide */
    {
        RecordingLines lines;
        const MoveReport report = stallOneStep(lines, options, 20, 10, 400ms);
        BOOST_TEST(!report.completed);
        BOOST_TEST(report.stopReason.find("2.000000 of its step period") != std::string::npos,
                   report.stopReason);
        BOOST_TEST(report.finalSteps.at(0) == 10); /* the late step was sent, none after it */
        BOOST_TEST(!enabled(lines, kMotors[0]));
    }
    {
        RecordingLines lines;
        const MoveReport report = stallOneStep(lines, options, 20, 10, 25ms);
        BOOST_TEST(report.completed, report.stopReason);
        BOOST_TEST(report.finalSteps.at(0) == 20);
        BOOST_TEST((report.maxLateness >= 25ms));
    }
}

/* The absolute bound (`max_lateness_us`) where the fraction is looser: at 20 steps/s two
 * periods are 100 ms; a step 70 ms late breaks a 40 ms bound (the product's is 500 us; scaled
 * for the same reason as above) and stops the move, naming that bound. */
BOOST_AUTO_TEST_CASE(the_absolute_bound_stops_a_step_within_the_fraction)
{
    ExecutorOptions options = testOptions();
    options.maxLatenessPeriods = 2;
    options.maxLateness = 40ms;
    RecordingLines lines;
    const MoveReport report = stallOneStep(lines, options, 20, 10, 70ms);
    BOOST_TEST(!report.completed);
    BOOST_TEST(report.stopReason.find("(bound 40000.0 us;") != std::string::npos,
               report.stopReason);
    BOOST_TEST(report.stopReason.find("of its step period") == std::string::npos,
               report.stopReason);
    BOOST_TEST(report.finalSteps.at(0) == 10, report.stopReason);
    BOOST_TEST(!enabled(lines, kMotors[0]));
}

/* The check before a step is sent measures lateness from the clock reading that ended the
 * wait for it (step_executor.cpp, waitUntil's return): a step whose wait ended already too
 * late is not sent at all. Here axis 1's pulse end stalls 400 ms in its GPIO call; axis 0's
 * next step was due during the stall (a 200 ms bound: 40 of its 5 ms periods; that large so
 * that the shared machine's own delays stay below it: a 20 ms bound was exceeded before the
 * stall under a load average of 12). Pulse ends only count against the absolute bound (1 s),
 * so the move goes on to axis 0's step, whose wait ends at once, 395-400 ms late: it must be
 * refused before the call, not sent and then noticed. */
BOOST_AUTO_TEST_CASE(a_step_already_late_when_its_wait_ends_is_not_sent)
{
    ExecutorOptions options = testOptions();
    options.maxLatenessPeriods = 40;
    const MovePlan plan = twoAxisPlan(100, 37, 200, 1e9);
    const MotorLines &a0 = kMotors[0];
    const MotorLines &a1 = kMotors[1];
    const auto has = [](const RecordingLines::Call &call, unsigned offset, uint8_t level) {
        for (size_t i = 0; i < call.offsets.size(); ++i)
            if (call.offsets[i] == offset && call.levels[i] == level)
                return true;
        return false;
    };
    /* A dry run finds, in the cruise, a call that only ends axis 1's pulse and is followed by
     * one that starts axis 0's step (the order of calls follows from the plan alone). */
    size_t stalled = 0;
    {
        RecordingLines lines;
        StepExecutor executor(lines, kMotors, testOptions());
        BOOST_REQUIRE(executor.execute(plan).completed);
        const std::vector<RecordingLines::Call> calls = lines.calls();
        for (size_t i = 50; i + 1 < calls.size() && stalled == 0; ++i)
            if (calls[i].offsets.size() == 1 && has(calls[i], a1.step, 0) &&
                !has(calls[i + 1], a1.step, 1) && has(calls[i + 1], a0.step, 1))
                stalled = i;
        BOOST_REQUIRE(stalled != 0);
    }
    RecordingLines lines;
    StepExecutor executor(lines, kMotors, options);
    lines.stallOnce(stalled, 400ms);
    const MoveReport report = executor.execute(plan);
    BOOST_TEST(!report.completed);
    BOOST_TEST(report.stopReason.find("would be late by") != std::string::npos, report.stopReason);
    BOOST_TEST(report.stopReason.find("not sent") != std::string::npos, report.stopReason);
    BOOST_TEST(report.stopReason.find("of its step period") != std::string::npos,
               report.stopReason);
    BOOST_TEST((report.maxLateness > 200ms));
    const std::vector<RecordingLines::Call> calls = lines.calls();
    BOOST_REQUIRE(calls.size() > stalled);
    for (size_t i = stalled + 1; i < calls.size(); ++i)
        BOOST_TEST(!has(calls[i], a0.step, 1), "call " << i << " started a step of axis 0");
    BOOST_TEST(!enabled(lines, kMotors[0]));
    BOOST_TEST(!enabled(lines, kMotors[1]));
}
