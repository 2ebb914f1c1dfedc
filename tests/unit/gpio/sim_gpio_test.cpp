#include <array>
#include <string>

#include <boost/test/unit_test.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include "child_process.h"
#include "common/instant_printing.h"
#include "gpio/motor_track.h"
#include "gpio/sim_gpio.h"
#include "temp_dir.h"
#include "util/chrono_clocks.h"
#include "util/errors.h"

using namespace lockstep;

namespace
{

constexpr unsigned kStep = 2;
constexpr unsigned kDir = 3;
constexpr unsigned kEnable = 4;
constexpr unsigned kEndstop = 7;

LineRequest outputs(std::vector<unsigned> offsets, std::vector<unsigned> inputs = {})
{
    LineRequest request;
    request.initialLevels.assign(offsets.size(), 0);
    request.outputs = std::move(offsets);
    request.inputs = std::move(inputs);
    return request;
}

/* STEP/DIR/ENABLE on 2/3/4, ENABLE active-low (as on A4988/TMC boards), endstop on 7. */
SimDriver turntable(int64_t initialStep)
{
    SimDriver driver;
    driver.motor = "turntable";
    driver.lines = {.step = kStep, .dir = kDir, .enable = kEnable, .enableActiveLow = true};
    driver.endstop = kEndstop;
    driver.endstopActiveLow = true;
    driver.endstopStep = -3;
    driver.homingDirection = -1;
    driver.initialStep = initialStep;
    return driver;
}

LineRequest turntableRequest()
{
    LineRequest request = outputs({kStep, kDir, kEnable}, {kEndstop});
    request.initialLevels = {0, 0, 1}; /* ENABLE inactive (high) */
    return request;
}

void set(SimGpio &gpio, unsigned offset, uint8_t level)
{
    const std::array<unsigned, 1> offsets{offset};
    const std::array<uint8_t, 1> levels{level};
    gpio.set(offsets, levels);
}

void pulse(SimGpio &gpio, int count = 1)
{
    for (int i = 0; i < count; ++i) {
        set(gpio, kStep, 1);
        set(gpio, kStep, 0);
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(sim_gpio)

BOOST_AUTO_TEST_CASE(edges_are_recorded_in_order_with_times)
{
    TempDir dir;
    SimGpio gpio(dir.path(), "pi01", {}, outputs({2, 3, 4}));

    const MonotonicInstant before = MonotonicClock::now();
    set(gpio, 2, 1);
    set(gpio, 3, 1);
    set(gpio, 3, 1); /* no change: no edge */
    set(gpio, 2, 0);
    const MonotonicInstant after = MonotonicClock::now();

    const std::vector<Edge> edges = gpio.edges();
    BOOST_REQUIRE_EQUAL(edges.size(), 3u);
    const std::array<unsigned, 3> offsets{2, 3, 2};
    const std::array<uint8_t, 3> levels{1, 1, 0};
    MonotonicInstant previous = before;
    for (size_t i = 0; i < edges.size(); ++i) {
        BOOST_TEST(edges[i].offset == offsets[i]);
        BOOST_TEST(edges[i].level == levels[i]);
        BOOST_TEST(edges[i].time >= previous);
        previous = edges[i].time;
    }
    BOOST_TEST(previous <= after);
}

BOOST_AUTO_TEST_CASE(several_lines_change_in_one_call)
{
    TempDir dir;
    SimGpio gpio(dir.path(), "pi01", {}, outputs({2, 3, 4}));

    const std::array<unsigned, 3> offsets{4, 2, 3};
    const std::array<uint8_t, 3> levels{1, 1, 0};
    gpio.set(offsets, levels);

    BOOST_TEST(gpio.get(2) == 1);
    BOOST_TEST(gpio.get(3) == 0);
    BOOST_TEST(gpio.get(4) == 1);
    const std::vector<Edge> edges = gpio.edges();
    BOOST_REQUIRE_EQUAL(edges.size(), 2u);
    BOOST_TEST(edges[0].offset == 4u);
    BOOST_TEST(edges[1].offset == 2u);
    BOOST_TEST(edges[0].time == edges[1].time);
}

BOOST_AUTO_TEST_CASE(set_refuses_lines_not_requested_as_outputs)
{
    TempDir dir;
    SimGpio gpio(dir.path(), "pi01", {}, outputs({2}, {7}));
    BOOST_CHECK_THROW(set(gpio, 7, 1), RunError);
    BOOST_CHECK_THROW(set(gpio, 9, 1), RunError);
    BOOST_CHECK_THROW(gpio.get(9), RunError);
    const std::array<unsigned, 1> offsets{2};
    const std::array<uint8_t, 2> levels{1, 0};
    BOOST_CHECK_THROW(gpio.set(offsets, levels), RunError);
    BOOST_TEST(gpio.edges().empty());
}

BOOST_AUTO_TEST_CASE(driver_counts_steps_with_direction_only_while_enabled)
{
    TempDir dir;
    SimGpio gpio(dir.path(), "pi01", {turntable(10)}, turntableRequest());
    BOOST_TEST(gpio.driverStep("turntable") == 10);

    pulse(gpio, 2); /* ENABLE inactive: the driver ignores STEP */
    BOOST_TEST(gpio.driverStep("turntable") == 10);

    set(gpio, kEnable, 0); /* active-low: enabled */
    pulse(gpio, 3);        /* DIR inactive: negative */
    BOOST_TEST(gpio.driverStep("turntable") == 7);

    set(gpio, kDir, 1);
    pulse(gpio, 5);
    BOOST_TEST(gpio.driverStep("turntable") == 12);

    set(gpio, kEnable, 1);
    pulse(gpio);
    BOOST_TEST(gpio.driverStep("turntable") == 12);
    BOOST_CHECK_THROW(gpio.driverStep("nope"), RunError);
}

BOOST_AUTO_TEST_CASE(driver_lines_must_be_requested)
{
    TempDir dir;
    SimDriver driver = turntable(0);
    driver.lines.step = 12;
    BOOST_CHECK_THROW(SimGpio(dir.path(), "pi01", {driver}, turntableRequest()), RunError);
    /* The failed request released its lines. */
    BOOST_CHECK_NO_THROW(SimGpio(dir.path(), "pi01", {turntable(0)}, turntableRequest()));
}

BOOST_AUTO_TEST_CASE(endstop_triggers_at_the_configured_step)
{
    TempDir dir;
    SimGpio gpio(dir.path(), "pi01", {turntable(0)}, turntableRequest());
    set(gpio, kEnable, 0);

    /* Active-low endstop: 1 = open. Homing runs negative, trigger at -3 and beyond. */
    for (int64_t step = 0; step > -3; --step) {
        BOOST_TEST_CONTEXT("step " << step)
        {
            BOOST_TEST(gpio.get(kEndstop) == 1);
            BOOST_TEST(readSimLine(dir.path(), "pi01", kEndstop) == 1);
        }
        pulse(gpio);
    }
    BOOST_TEST(gpio.driverStep("turntable") == -3);
    BOOST_TEST(gpio.get(kEndstop) == 0);
    BOOST_TEST(readSimLine(dir.path(), "pi01", kEndstop) == 0);
    pulse(gpio);
    BOOST_TEST(gpio.get(kEndstop) == 0);

    set(gpio, kDir, 1);
    pulse(gpio, 2);
    BOOST_TEST(gpio.get(kEndstop) == 1);
}

BOOST_AUTO_TEST_CASE(a_line_held_by_a_live_process_is_busy)
{
    TempDir dir;
    int ready[2];
    int release[2];
    BOOST_REQUIRE(pipe(ready) == 0 && pipe(release) == 0);

    const pid_t holder = fork();
    if (holder == 0) {
        /* The holder dies without releasing, as a killed job would. */
        try {
            SimGpio gpio(dir.path(), "pi01", {}, outputs({5}));
            char byte = 1;
            if (write(ready[1], &byte, 1) != 1 || read(release[0], &byte, 1) != 1)
                _exit(2);
            _exit(0);
        } catch (...) {
            _exit(3);
        }
    }
    char byte = 0;
    BOOST_REQUIRE(read(ready[0], &byte, 1) == 1);

    try {
        SimGpio second(dir.path(), "pi01", {}, outputs({4, 5}));
        BOOST_ERROR("line 5 was granted while another process held it");
    } catch (const RunError &e) {
        BOOST_TEST(std::string(e.what()).find("busy") != std::string::npos, e.what());
    }
    /* Other lines of the chip stay available, and a refused request claimed nothing. */
    BOOST_CHECK_NO_THROW(SimGpio(dir.path(), "pi01", {}, outputs({4})));

    BOOST_REQUIRE(write(release[1], &byte, 1) == 1);
    int status = 0;
    BOOST_REQUIRE(waitpid(holder, &status, 0) == holder);
    BOOST_TEST(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 0);
    for (int fd : {ready[0], ready[1], release[0], release[1]})
        close(fd);

    BOOST_CHECK_NO_THROW(SimGpio(dir.path(), "pi01", {}, outputs({5})));
}

BOOST_AUTO_TEST_CASE(a_line_is_exclusive_within_a_process_too)
{
    TempDir dir;
    SimGpio first(dir.path(), "pi01", {}, outputs({5}));
    BOOST_CHECK_THROW(SimGpio(dir.path(), "pi01", {}, outputs({5})), RunError);
    /* Nodes have separate chips. */
    BOOST_CHECK_NO_THROW(SimGpio(dir.path(), "pi02", {}, outputs({5})));
}

BOOST_AUTO_TEST_CASE(levels_stay_after_release)
{
    TempDir dir;
    {
        SimGpio gpio(dir.path(), "pi01", {}, outputs({5}));
        set(gpio, 5, 1);
    }
    BOOST_TEST(readSimLine(dir.path(), "pi01", 5) == 1);
}

BOOST_AUTO_TEST_CASE(another_process_reads_levels)
{
    TempDir dir;
    BOOST_TEST(readSimLine(dir.path(), "pi01", 5) == -1); /* no state file yet */

    SimGpio gpio(dir.path(), "pi01", {}, outputs({5, 6}));
    set(gpio, 5, 1);
    const auto levelsSeen = [&] {
        return runInChild([&] {
            return readSimLine(dir.path(), "pi01", 5) * 10 + readSimLine(dir.path(), "pi01", 6);
        });
    };
    BOOST_TEST(levelsSeen() == 10);
    set(gpio, 5, 0);
    set(gpio, 6, 1);
    BOOST_TEST(levelsSeen() == 1);
    BOOST_TEST(readSimLine(dir.path(), "pi01", 64) == -1);
    BOOST_TEST(readSimLine(dir.path(), "other", 5) == -1);
}

BOOST_AUTO_TEST_CASE(another_process_drives_enable_safe)
{
    TempDir dir;
    SimGpio gpio(dir.path(), "pi01", {turntable(0)}, turntableRequest());
    set(gpio, kEnable, 0);
    set(gpio, kDir, 1);
    pulse(gpio, 2);
    BOOST_REQUIRE(gpio.driverStep("turntable") == 2);

    /* As the SPANK plugin does after the job died: ENABLE to its inactive level (high). */
    BOOST_TEST(runInChild([&] {
                   writeSimLine(dir.path(), "pi01", kEnable, 1);
                   return 0;
               }) == 0);
    BOOST_TEST(gpio.get(kEnable) == 1);
    pulse(gpio, 3);
    BOOST_TEST(gpio.driverStep("turntable") == 2);

    BOOST_CHECK_THROW(writeSimLine(dir.path(), "absent", kEnable, 1), RunError);
    BOOST_CHECK_THROW(writeSimLine(dir.path(), "pi01", 64, 1), RunError);
}

BOOST_AUTO_TEST_SUITE_END()
