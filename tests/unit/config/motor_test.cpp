#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

#include "config/diagnostic.h"
#include "config/plan.h"
#include "config/rig.h"

using namespace lockstep;

namespace
{

MotorConfig turntable()
{
    MotorConfig motor;
    motor.stepsPerRev = 200;
    motor.microsteps = 16; /* 3200 microsteps per turn */
    return motor;
}

} // namespace

BOOST_AUTO_TEST_SUITE(motor)

BOOST_AUTO_TEST_CASE(steps_per_unit_in_degrees_and_millimetres)
{
    MotorConfig motor = turntable();
    motor.gearRatio = 3;
    BOOST_TEST(motor.stepsPerUnit() == 200.0 * 16 * 3 / 360, boost::test_tools::tolerance(1e-12));
    motor.units = Units::Millimetres;
    motor.mmPerRev = 8;
    BOOST_TEST(motor.stepsPerUnit() == 200.0 * 16 * 3 / 8, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(step_for_position_rounds_each_absolute_target)
{
    const MotorConfig motor = turntable();
    BOOST_TEST(motor.stepForPosition(10) == 89);  /* 88.888... */
    BOOST_TEST(motor.stepForPosition(20) == 178); /* 177.777..., not 2 * 89 */
    BOOST_TEST(motor.stepForPosition(360) == 3200);
    BOOST_TEST(motor.stepForPosition(-10) == -89);
    BOOST_TEST(motor.stepForPosition(0) == 0);
    /* 36 stops of 10 degrees land on a full turn without accumulated error. */
    BOOST_TEST(motor.stepForPosition(36 * 10.0) - motor.stepForPosition(35 * 10.0) == 89);
}

BOOST_AUTO_TEST_CASE(position_for_step_inverts_step_for_position)
{
    const MotorConfig motor = turntable();
    BOOST_TEST(motor.positionForStep(3200) == 360.0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(motor.positionForStep(-1600) == -180.0, boost::test_tools::tolerance(1e-12));
    for (int64_t step : {-4001, -1, 0, 1, 89, 3199, 64000})
        BOOST_TEST(motor.stepForPosition(motor.positionForStep(step)) == step);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lookups)

BOOST_AUTO_TEST_CASE(find_node_motor_and_camera_by_name)
{
    RigConfig rig;
    rig.nodes.resize(2);
    rig.nodes[0].hostname = "pi01";
    rig.nodes[0].cameras.resize(1);
    rig.nodes[0].cameras[0].name = "cam";
    rig.nodes[1].hostname = "pi02";
    rig.nodes[1].motors.resize(1);
    rig.nodes[1].motors[0].name = "lift";
    rig.nodes[1].cameras.resize(1);
    rig.nodes[1].cameras[0].name = "cam";

    BOOST_TEST(rig.findNode("pi02") == &rig.nodes[1]);
    BOOST_TEST(rig.findNode("pi03") == nullptr);
    BOOST_TEST(rig.nodeOfMotor("lift") == &rig.nodes[1]);
    BOOST_TEST(rig.nodeOfMotor("turntable") == nullptr);
    BOOST_TEST(rig.findMotor("lift") == &rig.nodes[1].motors[0]);
    BOOST_TEST(rig.findMotor("cam") == nullptr);
    BOOST_TEST(rig.nodes[1].findCamera("cam") == &rig.nodes[1].cameras[0]);
    BOOST_TEST(rig.nodes[0].findMotor("lift") == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(output)

BOOST_AUTO_TEST_CASE(frame_path_expands_every_placeholder)
{
    BOOST_TEST(framePath("pos-{position}/{node}-{camera}", 7, 0, "pi01", "cam",
                         ImageFormat::Jpeg) == "pos-0007/pi01-cam.jpg");
    BOOST_TEST(framePath("{node}/{camera}/{position}-{frame}", 12345, 3, "pi02", "left",
                         ImageFormat::Png) == "pi02/left/12345-03.png");
    BOOST_TEST(framePath("{camera}{camera}", 0, 0, "n", "c", ImageFormat::Png) == "cc.png");
}

BOOST_AUTO_TEST_CASE(diagnostic_text_is_file_line_column_message)
{
    const Diagnostic located{"rig.yaml", 3, 14, "bad value"};
    BOOST_TEST(located.str() == "rig.yaml:3:14: bad value");
    const Diagnostic unlocated{"missing.yaml", 0, 0, "cannot open: No such file or directory"};
    BOOST_TEST(unlocated.str() == "missing.yaml: cannot open: No such file or directory");
    const ConfigError error({located, unlocated});
    BOOST_TEST(std::string(error.what()) == located.str() + "\n" + unlocated.str());
    BOOST_TEST(error.diagnostics().size() == 2U);
}

BOOST_AUTO_TEST_SUITE_END()
