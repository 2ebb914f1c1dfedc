#include <boost/test/unit_test.hpp>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include <new>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/rig.h"
#include "gpio/motor_track.h"
#include "gpio/sim_gpio.h"
#include "motion/motor_group.h"
#include "motion/move_plan.h"
#include "motion_test_support.h"
#include "util/death_watchdog.h"
#include "util/errors.h"
#include "util/signal_guard.h"

using namespace lockstep;
using namespace std::chrono_literals;
using lockstep::test::TempDir;

namespace
{

const char *kHost = "pi1";

/* A turntable (3200 steps/rev, endstop at -20 deg) and a lead-screw lift with soft limits.
 * ENABLE is active high so that opening the lines is no ENABLE edge. */
RigConfig simRig(const std::string &dir)
{
    RigConfig rig;
    rig.path = dir + "/rig.yaml";
    rig.name = "test";
    rig.simDir = dir;

    MotorConfig table;
    table.name = "turntable";
    table.step = {2, false};
    table.dir = {3, false};
    table.enable = {4, false};
    table.endstop = LineConfig{17, false};
    table.homingDirection = -1;
    table.homingSpeed = 360;
    table.maxSpeed = 1440;
    table.maxAccel = 72000;
    table.simEndstopAt = -20;

    MotorConfig lift;
    lift.name = "lift";
    lift.units = Units::Millimetres;
    lift.mmPerRev = 8;
    lift.step = {5, false};
    lift.dir = {6, true};
    lift.enable = {7, false};
    lift.maxSpeed = 40;
    lift.maxAccel = 2000;
    lift.softMin = 0;
    lift.softMax = 100;

    NodeConfig node;
    node.hostname = kHost;
    node.motors = {table, lift};
    rig.nodes.push_back(node);
    return rig;
}

ExecutorOptions testOptions()
{
    ExecutorOptions o;
    o.realtime = false;
    o.maxLateness = 1s; /* shared test machine: never abort on lateness */
    o.maxLatenessPeriods = 1e6;
    return o;
}

size_t trackRecords(const RigConfig &rig, const std::string &motor)
{
    return MotorTrack::load(simTrackPath(rig.simDir, motor)).records().size();
}

int64_t driverStepAfter(const RigConfig &rig, const std::string &motor)
{
    return MotorTrack::load(simTrackPath(rig.simDir, motor)).records().back().step;
}

} // namespace

BOOST_AUTO_TEST_SUITE(motor_group)

BOOST_AUTO_TEST_CASE(the_rigs_executor_settings_reach_the_executor)
{
    /* The simulated rig with every executor setting away from its default. */
    TempDir dir;
    std::ifstream in(LOCKSTEP_SOURCE_DIR "/conf/rig-turntable-sim.yaml");
    std::ofstream out(dir.path() + "/rig.yaml");
    int replaced = 0;
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("executor:")) {
            line = "executor: { step_pulse_us: 7, dir_setup_us: 3, enable_setup_us: 250, "
                   "max_lateness_us: 1234, max_lateness_periods: 2.5, priority: 42 }";
            ++replaced;
        }
        out << line << "\n";
    }
    out.close();
    BOOST_TEST_REQUIRE(replaced == 1);
    const ExecutorOptions options = executorOptionsFor(loadRig(dir.path() + "/rig.yaml"));
    BOOST_TEST(options.stepPulse.count() == 7'000);
    BOOST_TEST(options.dirSetup.count() == 3'000);
    BOOST_TEST(options.enableSetup.count() == 250'000);
    BOOST_TEST(options.maxLateness.count() == 1'234'000);
    BOOST_TEST(options.maxLatenessPeriods == 2.5);
    BOOST_TEST(options.priority == 42);
}

BOOST_AUTO_TEST_CASE(full_revolution_in_ten_degree_moves_rounds_each_target)
{
    TempDir dir;
    const RigConfig rig = simRig(dir.path());
    MotorGroup group(rig, rig.nodes[0], {"turntable"}, testOptions());
    for (int k = 1; k <= 36; ++k) {
        const MoveReport report = group.moveTo({{"turntable", 10.0 * k}});
        BOOST_TEST_REQUIRE(report.completed);
        BOOST_TEST_REQUIRE(group.stepPosition("turntable") == std::llround(k * 3200.0 / 36));
    }
    BOOST_TEST(group.stepPosition("turntable") == 3200);
    BOOST_TEST(group.position("turntable") == 360.0, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(positions_persist_between_groups)
{
    TempDir dir;
    const RigConfig rig = simRig(dir.path());
    {
        MotorGroup group(rig, rig.nodes[0], {}, testOptions());
        BOOST_TEST(group.motors() == std::vector<std::string>({"turntable", "lift"}));
        BOOST_TEST(group.stepPosition("turntable") == 0); /* never homed, never moved */
        BOOST_TEST(group.moveTo({{"turntable", 45}, {"lift", 2.5}}).completed);
    }
    BOOST_TEST(std::filesystem::exists(dir.path() + "/positions/pi1.json"));
    {
        MotorGroup group(rig, rig.nodes[0], {"lift", "turntable"}, testOptions());
        BOOST_TEST(group.stepPosition("turntable") == 400);
        BOOST_TEST(group.stepPosition("lift") == 1000);
        BOOST_TEST(group.position("lift") == 2.5, boost::test_tools::tolerance(1e-12));
        BOOST_TEST(group.moveTo({{"turntable", -10}}).completed);
    }
    /* The simulated driver continued from there too (the track is flushed on close). */
    BOOST_TEST(driverStepAfter(rig, "turntable") == -89);
}

BOOST_AUTO_TEST_CASE(bad_targets_throw_before_any_edge)
{
    TempDir dir;
    const RigConfig rig = simRig(dir.path());
    {
        MotorGroup group(rig, rig.nodes[0], {}, testOptions());
        BOOST_CHECK_THROW(group.moveTo({{"lift", 100.5}}), InputError);
        BOOST_CHECK_THROW(group.moveTo({{"turntable", 90}, {"lift", -1}}), InputError);
        BOOST_CHECK_THROW(group.moveTo({{"lift", NAN}}), InputError);
        BOOST_CHECK_THROW(group.moveTo({{"nosuch", 1}}), InputError);
        /* Overrides may lower the rig's limits, never raise them. */
        BOOST_CHECK_THROW(group.moveTo({{"lift", 10}}, {{"lift", {41.0, std::nullopt}}}),
                          InputError);
        BOOST_CHECK_THROW(group.moveTo({{"lift", 10}}, {{"lift", {std::nullopt, 0.0}}}),
                          InputError);
        BOOST_TEST(group.stepPosition("lift") == 0);
        BOOST_TEST(group.stepPosition("turntable") == 0);
    }
    /* Only the starting position the simulation records when a track file is created. */
    BOOST_TEST(trackRecords(rig, "turntable") == 1u);
    BOOST_TEST(trackRecords(rig, "lift") == 1u);

    /* The same check sees a real move. */
    {
        MotorGroup group(rig, rig.nodes[0], {}, testOptions());
        BOOST_TEST(group.moveTo({{"lift", 1}}, {{"lift", {20.0, 1000.0}}}).completed);
    }
    BOOST_TEST(trackRecords(rig, "lift") > 1u);
}

BOOST_AUTO_TEST_CASE(speed_beyond_the_step_pulse_is_bad_input)
{
    TempDir dir;
    RigConfig rig = simRig(dir.path());
    rig.nodes[0].motors[0].maxSpeed = 36000; /* 320k steps/s */
    MotorGroup group(rig, rig.nodes[0], {"turntable"}, testOptions());
    BOOST_CHECK_THROW(group.moveTo({{"turntable", 90}}), InputError);
    BOOST_TEST(group.moveTo({{"turntable", 90}}, {{"turntable", {720.0, std::nullopt}}}).completed);
}

BOOST_AUTO_TEST_CASE(exception_through_the_scope_leaves_enable_inactive)
{
    TempDir dir;
    const RigConfig rig = simRig(dir.path());
    const unsigned enable = rig.nodes[0].motors[0].enable.offset;
    try {
        MotorGroup group(rig, rig.nodes[0], {"turntable"}, testOptions());
        BOOST_TEST(group.moveTo({{"turntable", 30}}).completed);
        BOOST_TEST(readSimLine(rig.simDir, kHost, enable) == 1); /* holding */
        throw std::runtime_error("something failed after the move");
    } catch (const std::runtime_error &) {
    }
    BOOST_TEST(readSimLine(rig.simDir, kHost, enable) == 0);
}

BOOST_AUTO_TEST_CASE(home_finds_the_sim_endstop)
{
    TempDir dir;
    const RigConfig rig = simRig(dir.path());
    const int64_t endstopStep = rig.nodes[0].motors[0].stepForPosition(-20);
    {
        MotorGroup group(rig, rig.nodes[0], {"turntable"}, testOptions());
        BOOST_TEST(group.moveTo({{"turntable", 15}}).completed);
        const HomeReport report = group.home("turntable");
        BOOST_TEST(report.found, report.message);
        BOOST_TEST(report.stepsTravelled ==
                   rig.nodes[0].motors[0].stepForPosition(15) - endstopStep);
        BOOST_TEST(group.stepPosition("turntable") == 0);
        BOOST_CHECK_THROW(group.home("nosuch"), InputError);
    }
    /* The driver stands exactly at the first step where the endstop is active. */
    BOOST_TEST(driverStepAfter(rig, "turntable") == endstopStep);
    /* A later run continues from the homed zero, and the driver follows. */
    {
        MotorGroup group(rig, rig.nodes[0], {"turntable"}, testOptions());
        BOOST_TEST(group.stepPosition("turntable") == 0);
        BOOST_TEST(group.moveTo({{"turntable", 20}}).completed);
    }
    BOOST_TEST(driverStepAfter(rig, "turntable") == endstopStep + 178);
}

BOOST_AUTO_TEST_CASE(home_gives_up_after_its_travel_limit)
{
    TempDir dir;
    RigConfig rig = simRig(dir.path());
    rig.nodes[0].motors[0].simEndstopAt = -500; /* more than a turn away */
    rig.nodes[0].motors[0].homingSpeed = 1440;
    MotorGroup group(rig, rig.nodes[0], {"turntable"}, testOptions());
    const HomeReport report = group.home("turntable");
    BOOST_TEST(!report.found);
    BOOST_TEST(report.message.find("not found") != std::string::npos, report.message);
    /* No soft limits: a turn (3200 steps) and the 10 % margin, rounded, and one more. The
     * approach ends exactly there. */
    BOOST_TEST(report.stepsTravelled == 3521);
}

/* `homing.speed` left out (0) homes at a quarter of `max_speed` (docs/configuration.md): 360
 * deg/s here, 3200 steps/s. The approach's steps up to the endstop, timed from the track,
 * against the planner's times for that speed. A simulated motor catches late steps up, so the
 * span from the first step to the last is the planned one less the first step's lateness plus
 * the last's: -20 ms / +40 ms leave a loaded machine room and still tell a quarter (~56 ms for
 * these 178 steps) from max_speed (~24 ms) or an eighth (~110 ms). */
BOOST_AUTO_TEST_CASE(homing_speed_defaults_to_a_quarter_of_max_speed)
{
    /* What home() moves at (a timing check of the simulated steps cannot tell: under load the
     * simulated motor catches late steps up in bursts). */
    TempDir dir;
    RigConfig rig = simRig(dir.path());
    MotorConfig &table = rig.nodes[0].motors[0];
    table.homingSpeed = 0;
    BOOST_TEST(homingSpeed(table) == table.maxSpeed / 4);
    table.homingSpeed = 12.5;
    BOOST_TEST(homingSpeed(table) == 12.5);
    /* And homing at the default still finds the endstop. */
    table.homingSpeed = 0;
    MotorGroup group(rig, rig.nodes[0], {"turntable"}, testOptions());
    const HomeReport report = group.home("turntable");
    BOOST_TEST(report.found, report.message);
}

BOOST_AUTO_TEST_CASE(motor_without_endstop_cannot_home)
{
    TempDir dir;
    const RigConfig rig = simRig(dir.path());
    MotorGroup group(rig, rig.nodes[0], {"lift"}, testOptions());
    BOOST_CHECK_THROW(group.home("lift"), InputError);
}

BOOST_AUTO_TEST_CASE(malformed_position_store_is_an_error)
{
    TempDir dir;
    const RigConfig rig = simRig(dir.path());
    std::filesystem::create_directories(dir.path() + "/positions");
    std::ofstream(dir.path() + "/positions/pi1.json") << "{\"motors\": {\"turntable\": 1}}";
    BOOST_CHECK_THROW(MotorGroup(rig, rig.nodes[0], {"turntable"}, testOptions()), RunError);
}

BOOST_AUTO_TEST_SUITE_END()

/* A child process runs a long move under a SignalGuard; the parent signals it. */
BOOST_AUTO_TEST_SUITE(signals)

namespace
{

enum class ChildMode { PollStop, IgnoreStop };

[[noreturn]] void childMove(const RigConfig &rig, ChildMode mode)
{
    int status = 0;
    {
        SignalGuard guard;
        try {
            MotorGroup group(rig, rig.nodes[0], {"turntable"}, testOptions());
            guard.setEmergency([&group] { group.release(); }, std::chrono::milliseconds(200));
            const std::atomic<bool> *stop =
                mode == ChildMode::PollStop ? &guard.stopRequested() : nullptr;
            /* Ten turns at 360 deg/s: far longer than the test waits. */
            const MoveReport report =
                group.moveTo({{"turntable", 3600}}, {{"turntable", {360.0, std::nullopt}}}, stop);
            if (mode == ChildMode::IgnoreStop)
                sleep(10); /* only the emergency action can end this */
            status = report.completed ? 0 : 128 + guard.signalNumber();
        } catch (...) {
            status = 99;
        }
        guard.setEmergency({});
    }
    _exit(status);
}

/* Forks a child moving the turntable, sends SIGTERM once ENABLE is asserted, and returns the
 * child's exit status. */
int signalledChild(const RigConfig &rig, ChildMode mode)
{
    const unsigned enable = rig.nodes[0].motors[0].enable.offset;
    const pid_t pid = fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0)
        childMove(rig, mode);
    const MonotonicInstant deadline = MonotonicClock::now() + 10s;
    while (readSimLine(rig.simDir, kHost, enable) != 1 && MonotonicClock::now() < deadline)
        usleep(1000);
    BOOST_TEST(readSimLine(rig.simDir, kHost, enable) == 1);
    usleep(50'000); /* well into the move */
    kill(pid, SIGTERM);
    int status = 0;
    BOOST_REQUIRE(waitpid(pid, &status, 0) == pid);
    BOOST_REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
}

} // namespace

BOOST_AUTO_TEST_CASE(sigterm_mid_move_stops_and_releases_enable)
{
    TempDir dir;
    const RigConfig rig = simRig(dir.path());
    BOOST_TEST(signalledChild(rig, ChildMode::PollStop) == 128 + SIGTERM);
    BOOST_TEST(readSimLine(rig.simDir, kHost, rig.nodes[0].motors[0].enable.offset) == 0);
    /* The child stored where it stopped: part-way. */
    MotorGroup group(rig, rig.nodes[0], {"turntable"}, testOptions());
    BOOST_TEST(group.stepPosition("turntable") > 0);
    BOOST_TEST(group.stepPosition("turntable") < 32000);
}

BOOST_AUTO_TEST_CASE(emergency_action_runs_when_the_main_thread_does_not_stop)
{
    TempDir dir;
    const RigConfig rig = simRig(dir.path());
    BOOST_TEST(signalledChild(rig, ChildMode::IgnoreStop) == 128 + SIGTERM);
    BOOST_TEST(readSimLine(rig.simDir, kHost, rig.nodes[0].motors[0].enable.offset) == 0);
}

/* kill -9 runs no handler in the process: its watchdog (util/death_watchdog.h) makes the
 * motors safe, within the 100 ms docs/reliability.md promises. */
BOOST_AUTO_TEST_CASE(sigkill_mid_move_the_watchdog_releases_enable_within_100_ms)
{
    TempDir dir;
    const RigConfig rig = simRig(dir.path());
    const unsigned enable = rig.nodes[0].motors[0].enable.offset;
    const pid_t pid = fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0)
        childMove(rig, ChildMode::PollStop);
    const MonotonicInstant deadline = MonotonicClock::now() + 10s;
    while (readSimLine(rig.simDir, kHost, enable) != 1 && MonotonicClock::now() < deadline)
        usleep(1000);
    BOOST_REQUIRE(readSimLine(rig.simDir, kHost, enable) == 1);
    usleep(50'000); /* well into the move */
    const MonotonicInstant killed = MonotonicClock::now();
    kill(pid, SIGKILL);
    while (readSimLine(rig.simDir, kHost, enable) != 0 && MonotonicClock::now() < killed + 1s)
        usleep(100);
    const Nanoseconds released = MonotonicClock::now() - killed;
    int status = 0;
    BOOST_REQUIRE(waitpid(pid, &status, 0) == pid);
    BOOST_TEST((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
    BOOST_TEST_MESSAGE("ENABLE inactive " << FloatMillis(released).count() << " ms after SIGKILL");
    BOOST_TEST(readSimLine(rig.simDir, kHost, enable) == 0);
    BOOST_TEST((released <= 100ms));
}

BOOST_AUTO_TEST_CASE(a_disarmed_watchdog_does_nothing_and_an_orphaned_one_acts_once)
{
    void *page = mmap(nullptr, sizeof(std::atomic<int>), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    BOOST_REQUIRE(page != MAP_FAILED);
    auto *acted = new (page) std::atomic<int>(0);
    const auto action = [acted] {
        acted->fetch_add(1);
        return true;
    };
    {
        const DeathWatchdog watchdog(action, "unit test: a disarmed watchdog acted");
        BOOST_TEST(watchdog.pid() > 0);
    } /* disarmed, and waited for */
    BOOST_TEST(acted->load() == 0);

    const pid_t pid = fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
        const DeathWatchdog watchdog(action, "unit test: the watchdog of a killed process acted");
        kill(getpid(), SIGKILL);
        pause();
    }
    int status = 0;
    BOOST_REQUIRE(waitpid(pid, &status, 0) == pid);
    const MonotonicInstant deadline = MonotonicClock::now() + 5s;
    while (acted->load() == 0 && MonotonicClock::now() < deadline)
        usleep(1000);
    usleep(50'000); /* a second action would come now */
    BOOST_TEST(acted->load() == 1);
    munmap(page, sizeof(std::atomic<int>));
}

BOOST_AUTO_TEST_CASE(guard_flags_a_signal_and_restores_the_mask)
{
    sigset_t before;
    pthread_sigmask(SIG_SETMASK, nullptr, &before);
    {
        SignalGuard guard;
        BOOST_TEST(!guard.stopRequested());
        BOOST_TEST(guard.signalNumber() == 0);
        sigset_t during;
        pthread_sigmask(SIG_SETMASK, nullptr, &during);
        BOOST_TEST(sigismember(&during, SIGINT) == 1);
        BOOST_TEST(sigismember(&during, SIGHUP) == 1);
        guard.setEmergency([] {}, std::chrono::seconds(60));
        kill(getpid(), SIGHUP);
        const MonotonicInstant deadline = MonotonicClock::now() + 5s;
        while (!guard.stopRequested() && MonotonicClock::now() < deadline)
            usleep(1000);
        BOOST_TEST(guard.stopRequested());
        BOOST_TEST(guard.signalNumber() == SIGHUP);
    }
    sigset_t after;
    pthread_sigmask(SIG_SETMASK, nullptr, &after);
    BOOST_TEST(sigismember(&after, SIGHUP) == sigismember(&before, SIGHUP));
}

BOOST_AUTO_TEST_SUITE_END()
