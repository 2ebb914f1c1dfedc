#include <array>

#include <boost/test/unit_test.hpp>

#include "gpio/open_gpio.h"
#include "gpio/sim_gpio.h"
#include "temp_dir.h"
#include "util/errors.h"

using namespace lockstep;

namespace
{

MotorConfig motor(const std::string &name, unsigned firstLine)
{
    MotorConfig m;
    m.name = name;
    m.backend = Backend::Sim;
    m.step = {firstLine, false};
    m.dir = {firstLine + 1, false};
    m.enable = {firstLine + 2, true};
    m.endstop = LineConfig{firstLine + 3, false};
    m.homingDirection = -1;
    m.simEndstopAt = -9.0; /* degrees */
    return m;
}

struct Rig {
    explicit Rig(const std::string &simDir)
    {
        rig.simDir = simDir;
        NodeConfig node;
        node.hostname = "pi01";
        node.motors = {motor("turntable", 2), motor("tilt", 10)};
        rig.nodes.push_back(node);
    }
    const NodeConfig &node() const { return rig.nodes.front(); }
    RigConfig rig;
};

void set(GpioLines &lines, unsigned offset, uint8_t level)
{
    const std::array<unsigned, 1> offsets{offset};
    const std::array<uint8_t, 1> levels{level};
    lines.set(offsets, levels);
}

} // namespace

BOOST_AUTO_TEST_SUITE(open_gpio)

BOOST_AUTO_TEST_CASE(sim_motor_lines_start_safe_and_endstop_follows_the_rig)
{
    TempDir dir;
    const Rig rig(dir.path());
    const MotorConfig &turntable = rig.node().motors[0];
    auto lines = openMotorLines(rig.rig, rig.node(), {"turntable", "tilt"}, {0, 0}, "test");

    /* ENABLE (active-low) and STEP start inactive. */
    BOOST_TEST(lines->get(turntable.enable.offset) == 1);
    BOOST_TEST(lines->get(turntable.step.offset) == 0);

    set(*lines, turntable.enable.offset, 0);
    const unsigned endstop = turntable.endstop->offset;
    int64_t steps = 0;
    while (lines->get(endstop) == 0 && steps < 100'000) {
        set(*lines, turntable.step.offset, 1);
        set(*lines, turntable.step.offset, 0);
        ++steps;
    }
    BOOST_TEST(-steps == turntable.stepForPosition(turntable.simEndstopAt));
    BOOST_TEST(dynamic_cast<SimGpio &>(*lines).driverStep("tilt") == 0);
}

BOOST_AUTO_TEST_CASE(bad_motor_lists_are_refused)
{
    TempDir dir;
    Rig rig(dir.path());
    BOOST_CHECK_THROW(openMotorLines(rig.rig, rig.node(), {"nope"}, {0}, "test"), InputError);
    BOOST_CHECK_THROW(openMotorLines(rig.rig, rig.node(), {}, {}, "test"), InputError);
    BOOST_CHECK_THROW(openMotorLines(rig.rig, rig.node(), {"tilt"}, {}, "test"), RunError);
    rig.rig.nodes.front().motors[1].backend = Backend::Real;
    BOOST_CHECK_THROW(openMotorLines(rig.rig, rig.node(), {"turntable", "tilt"}, {0, 0}, "test"),
                      InputError);
}

BOOST_AUTO_TEST_CASE(drive_motors_safe_releases_enable_on_sim)
{
    TempDir dir;
    const Rig rig(dir.path());
    const unsigned enable = rig.node().motors[0].enable.offset;

    /* Before any job: nothing to drive, and it says so. */
    std::vector<std::string> messages = driveMotorsSafe(rig.rig, rig.node(), {"turntable"});
    BOOST_REQUIRE_EQUAL(messages.size(), 1u);
    BOOST_TEST(messages[0].find("never driven") != std::string::npos, messages[0]);

    auto lines = openMotorLines(rig.rig, rig.node(), {"turntable"}, {0}, "test");
    set(*lines, enable, 0);
    BOOST_REQUIRE(readSimLine(dir.path(), "pi01", enable) == 0);

    messages = driveMotorsSafe(rig.rig, rig.node(), {"turntable", "ghost"});
    BOOST_REQUIRE_EQUAL(messages.size(), 2u);
    BOOST_TEST(messages[0].find("driven inactive") != std::string::npos, messages[0]);
    BOOST_TEST(messages[1].find("not on node pi01") != std::string::npos, messages[1]);
    BOOST_TEST(readSimLine(dir.path(), "pi01", enable) == 1);
    BOOST_TEST(lines->get(enable) == 1);
}

BOOST_AUTO_TEST_SUITE_END()
