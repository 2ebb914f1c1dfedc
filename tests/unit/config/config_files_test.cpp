/* Good configurations: the conf/ examples and the values the loaders derive. */
#include <filesystem>

#include <boost/test/unit_test.hpp>

#include "config/plan.h"
#include "config/rig.h"
#include "scratch_dir.h"

using namespace lockstep;
using lockstep::test::ScratchDir;
namespace fs = std::filesystem;

namespace
{

const std::string kConf = std::string(LOCKSTEP_SOURCE_DIR) + "/conf";

/* A minimal valid rig: two nodes, a sim motor on "a", sim cameras on both. */
const char *const kSmallRig = "rig: small\n"
                              "sim_dir: ../state\n"
                              "nodes:\n"
                              "  - host: a\n"
                              "    motors:\n"
                              "      - name: lift\n"
                              "        backend: sim\n"
                              "        step: {line: 5}\n"
                              "        dir: {line: 6}\n"
                              "        enable: {line: 7}\n"
                              "        units: mm\n"
                              "        mm_per_rev: 8\n"
                              "        max_speed: 10\n"
                              "        max_accel: 50\n"
                              "      - name: tilt\n"
                              "        backend: sim\n"
                              "        step: {line: 8}\n"
                              "        dir: {line: 9}\n"
                              "        enable: {line: 10}\n"
                              "        max_speed: 30\n"
                              "        max_accel: 60\n"
                              "    cameras:\n"
                              "      - {name: left, backend: real, id: \"/base/imx219@10\"}\n"
                              "  - host: b\n"
                              "    cameras:\n"
                              "      - {name: right, backend: sim}\n";

} // namespace

BOOST_AUTO_TEST_SUITE(config_files)

BOOST_AUTO_TEST_CASE(reference_rig_timing_and_bias)
{
    const RigConfig rig = loadRig(kConf + "/rig-reference.yaml");
    BOOST_TEST(rig.maxLatenessPeriods == 2.0);
    BOOST_TEST(rig.executorPriority == 49);
    BOOST_TEST_REQUIRE(rig.findNode("pi01"));
    BOOST_TEST(rig.findNode("pi01")->wakeupLatencyUs == 150.0);
    const MotorConfig *turntable = rig.findMotor("turntable");
    const MotorConfig *slider = rig.findMotor("slider");
    BOOST_TEST_REQUIRE((turntable && slider));
    BOOST_TEST((turntable->enable.bias == LineBias::PullUp));
    BOOST_TEST((turntable->endstop->bias == LineBias::PullUp));
    BOOST_TEST((turntable->step.bias == LineBias::AsIs));
    /* Not stated: ENABLE still gets the pull toward its inactive level. */
    BOOST_TEST((slider->enable.bias == LineBias::PullUp));
}

BOOST_AUTO_TEST_CASE(real_turntable_rig)
{
    const RigConfig rig = loadRig(kConf + "/rig-turntable.yaml");
    BOOST_TEST(rig.name == "turntable-4cam");
    BOOST_TEST(rig.simDir.empty());
    BOOST_TEST((rig.stepPulse == Microseconds(2)));
    BOOST_TEST((rig.dirSetup == Microseconds(5)));
    BOOST_TEST((rig.enableSetup == Microseconds(100)));
    BOOST_TEST((rig.maxLateness == Microseconds(500)));
    BOOST_TEST_REQUIRE(rig.nodes.size() == 4U);
    for (std::size_t i = 0; i < rig.nodes.size(); ++i) {
        const NodeConfig &node = rig.nodes[i];
        BOOST_TEST(node.hostname == "pi0" + std::to_string(i + 1));
        BOOST_TEST(node.gpioChip == "pinctrl-bcm2711");
        BOOST_TEST_REQUIRE(node.cameras.size() == 1U);
        BOOST_TEST(node.cameras[0].name == "cam");
        BOOST_TEST((node.cameras[0].backend == Backend::Real));
        BOOST_TEST(node.cameras[0].index == 0);
        BOOST_TEST(node.cameras[0].id.empty());
        BOOST_TEST(node.motors.size() == (i == 0 ? 1U : 0U));
    }
    const MotorConfig *motor = rig.findMotor("turntable");
    BOOST_TEST_REQUIRE(motor);
    BOOST_TEST(rig.nodeOfMotor("turntable")->hostname == "pi01");
    BOOST_TEST((motor->backend == Backend::Real));
    BOOST_TEST(motor->step.offset == 17U);
    BOOST_TEST(!motor->step.activeLow);
    BOOST_TEST(motor->dir.offset == 27U);
    BOOST_TEST(motor->enable.offset == 22U);
    BOOST_TEST(motor->enable.activeLow);
    BOOST_TEST_REQUIRE(motor->endstop.has_value());
    BOOST_TEST(motor->endstop->offset == 23U);
    BOOST_TEST(motor->endstop->activeLow);
    BOOST_TEST(motor->homingDirection == -1);
    BOOST_TEST(motor->homingSpeed == 20.0);
    BOOST_TEST(motor->stepForPosition(360) == 3200);
    BOOST_TEST(motor->maxSpeed == 90.0);
    BOOST_TEST(motor->maxAccel == 180.0);
    BOOST_TEST(*motor->softMin == -720.0);
    BOOST_TEST(*motor->softMax == 720.0);
}

BOOST_AUTO_TEST_CASE(sim_turntable_rig)
{
    const RigConfig rig = loadRig(kConf + "/rig-turntable-sim.yaml");
    BOOST_TEST(rig.simDir == (fs::absolute(kConf) / "sim-state").lexically_normal().string());
    BOOST_TEST_REQUIRE(rig.nodes.size() == 4U);
    const double azimuths[] = {0, 90, 180, 270};
    for (std::size_t i = 0; i < rig.nodes.size(); ++i) {
        BOOST_TEST_REQUIRE(rig.nodes[i].cameras.size() == 1U);
        const CameraConfig &camera = rig.nodes[i].cameras[0];
        BOOST_TEST((camera.backend == Backend::Sim));
        BOOST_TEST(camera.simAzimuth == azimuths[i]);
        BOOST_TEST(camera.simMotor == "turntable");
        BOOST_TEST((camera.simSensor == SimSensor::Generic));
        BOOST_TEST(!camera.simControlLatency);
    }
    const MotorConfig *motor = rig.findMotor("turntable");
    BOOST_TEST_REQUIRE(motor);
    BOOST_TEST((motor->backend == Backend::Sim));
    BOOST_TEST(motor->simEndstopAt == -5.0);
}

BOOST_AUTO_TEST_CASE(turntable_scan_of_36_positions)
{
    const std::string planPath = kConf + "/scan-turntable-36.yaml";
    const RigConfig rig = loadRig(*planRigPath(planPath));
    BOOST_TEST(rig.name == "turntable-4cam");
    const ScanPlan plan = loadPlan(planPath, rig);
    BOOST_TEST(plan.name == "turntable-36");
    BOOST_TEST(plan.path == planPath);
    BOOST_TEST_REQUIRE(plan.positions.size() == 36U);
    for (std::size_t i = 0; i < plan.positions.size(); ++i) {
        BOOST_TEST_REQUIRE(plan.positions[i].targets.size() == 1U);
        BOOST_TEST(plan.positions[i].targets.at("turntable") == 10.0 * static_cast<double>(i),
                   boost::test_tools::tolerance(1e-9));
    }
    BOOST_TEST(*plan.motion.at("turntable").maxSpeed == 45.0);
    BOOST_TEST(*plan.motion.at("turntable").maxAccel == 90.0);
    BOOST_TEST(plan.returnHome);
    BOOST_TEST(plan.cameras.empty());
}

BOOST_AUTO_TEST_CASE(demo_scan)
{
    const std::string planPath = kConf + "/scan-demo.yaml";
    const std::optional<std::string> rigPath = planRigPath(planPath);
    BOOST_TEST_REQUIRE(rigPath.has_value());
    BOOST_TEST(*rigPath == fs::path(kConf + "/rig-turntable-sim.yaml").lexically_normal().string());
    const ScanPlan plan = loadPlan(planPath, loadRig(*rigPath));
    BOOST_TEST(plan.name == "demo");
    BOOST_TEST_REQUIRE(plan.positions.size() == 8U);
    BOOST_TEST(plan.positions[1].targets.at("turntable") == 45.0);
    BOOST_TEST(plan.positions[7].targets.at("turntable") == 315.0);
    BOOST_TEST((plan.settle == Milliseconds(150)));
    BOOST_TEST(plan.framesPerPosition == 1U);
    BOOST_TEST((plan.capture.exposure == Microseconds(8000)));
    BOOST_TEST(plan.capture.width == 640U);
    BOOST_TEST(plan.capture.height == 480U);
    BOOST_TEST((plan.capture.formats == std::vector<ImageFormat>{ImageFormat::Jpeg}));
    BOOST_TEST(plan.capture.jpegQuality == 90);
    BOOST_TEST((plan.captureMargin == Milliseconds(50)));
    BOOST_TEST(plan.cameras ==
                   (std::vector<std::string>{"pi01/cam", "pi02/cam", "pi03/cam", "pi04/cam"}),
               boost::test_tools::per_element());
    BOOST_TEST(!plan.returnHome);
    BOOST_TEST(plan.outputPattern == "pos-{position}/{node}-{camera}");
}

BOOST_AUTO_TEST_CASE(every_example_loads)
{
    unsigned plans = 0;
    for (const auto &entry : fs::directory_iterator(kConf)) {
        const std::string path = entry.path().string();
        const std::string name = entry.path().filename().string();
        if (entry.path().extension() != ".yaml")
            continue;
        BOOST_TEST_CONTEXT(path)
        {
            if (name.starts_with("rig-")) {
                BOOST_CHECK_NO_THROW(loadRig(path));
            } else {
                BOOST_TEST_REQUIRE(name.starts_with("scan-"));
                const std::optional<std::string> rig = planRigPath(path);
                BOOST_TEST_REQUIRE(rig.has_value());
                BOOST_CHECK_NO_THROW(loadPlan(path, loadRig(*rig)));
                ++plans;
            }
        }
    }
    BOOST_TEST(plans >= 2U);
}

BOOST_AUTO_TEST_CASE(defaults_ids_units_and_sim_dir_resolution)
{
    const ScratchDir dir;
    fs::create_directory(dir.path() + "/conf");
    const RigConfig rig = loadRig(dir.write("conf/rig.yaml", kSmallRig));
    BOOST_TEST(rig.simDir == (fs::path(dir.path()) / "state").string());
    BOOST_TEST((rig.stepPulse == Microseconds(2)));
    BOOST_TEST((rig.maxLateness == Microseconds(500)));
    const MotorConfig *lift = rig.findMotor("lift");
    BOOST_TEST_REQUIRE(lift);
    BOOST_TEST((lift->units == Units::Millimetres));
    BOOST_TEST(lift->mmPerRev == 8.0);
    BOOST_TEST(lift->stepForPosition(8) == 3200); /* 200 steps x 16 microsteps default */
    BOOST_TEST(!lift->endstop.has_value());
    BOOST_TEST(!lift->softMin.has_value());
    BOOST_TEST(lift->homingSpeed == 0.0);
    BOOST_TEST(!lift->enable.activeLow);
    const CameraConfig *left = rig.findNode("a")->findCamera("left");
    BOOST_TEST_REQUIRE(left);
    BOOST_TEST(left->id == "/base/imx219@10");
    BOOST_TEST(left->index == -1);
    BOOST_TEST(rig.findNode("b")->findCamera("right")->index == 0);
}

BOOST_AUTO_TEST_CASE(cameras_of_a_node_may_mix_backends)
{
    /* Each camera is opened on its own (motors share one GPIO request and may not mix). */
    const ScratchDir dir;
    const RigConfig rig = loadRig(dir.write("rig.yaml", "rig: r\n"
                                                        "sim_dir: s\n"
                                                        "nodes:\n"
                                                        "  - host: a\n"
                                                        "    cameras:\n"
                                                        "      - {name: left, backend: real}\n"
                                                        "      - {name: right, backend: sim}\n"));
    BOOST_TEST((rig.findNode("a")->findCamera("left")->backend == Backend::Real));
    BOOST_TEST((rig.findNode("a")->findCamera("right")->backend == Backend::Sim));
}

BOOST_AUTO_TEST_CASE(sweep_list_and_plan_defaults)
{
    const ScratchDir dir;
    const RigConfig rig = loadRig(dir.write("rig.yaml", kSmallRig));
    const ScanPlan sweep = loadPlan(dir.write("sweep.yaml", "scan: s\n"
                                                            "positions:\n"
                                                            "  sweep: {motor: lift, from: 10, "
                                                            "to: -20, count: 4}\n"),
                                    rig);
    BOOST_TEST_REQUIRE(sweep.positions.size() == 4U);
    for (std::size_t i = 0; i < 4; ++i)
        BOOST_TEST(sweep.positions[i].targets.at("lift") ==
                   10.0 + static_cast<double>(i) * (-20.0 - 10.0) / 3.0);
    BOOST_TEST((sweep.settle == Milliseconds(200)));
    BOOST_TEST(sweep.framesPerPosition == 1U);
    BOOST_TEST((sweep.captureMargin == Milliseconds(50)));
    BOOST_TEST((sweep.capture.exposure == Microseconds(10'000)));
    BOOST_TEST(sweep.outputPattern == "pos-{position}/{node}-{camera}");
    BOOST_TEST(!planRigPath(dir.path() + "/sweep.yaml").has_value());

    const ScanPlan single = loadPlan(
        dir.write("single.yaml", "scan: s\npositions: {sweep: {motor: lift, from: 3, to: 9, "
                                 "count: 1}}\n"),
        rig);
    BOOST_TEST_REQUIRE(single.positions.size() == 1U);
    BOOST_TEST(single.positions[0].targets.at("lift") == 3.0);

    const ScanPlan list = loadPlan(dir.write("list.yaml", "scan: s\n"
                                                          "rig: rig.yaml\n"
                                                          "positions:\n"
                                                          "  - {lift: 1, tilt: -15}\n"
                                                          "  - {lift: 2}\n"
                                                          "  - {tilt: 2.5}\n"
                                                          "frames_per_position: 3\n"
                                                          "output: {pattern: \"{frame}/{camera}-"
                                                          "{position}\"}\n"),
                                   rig);
    BOOST_TEST_REQUIRE(list.positions.size() == 3U);
    BOOST_TEST(list.positions[0].targets.at("lift") == 1.0);
    BOOST_TEST(list.positions[0].targets.at("tilt") == -15.0);
    BOOST_TEST(list.positions[1].targets.at("lift") == 2.0);
    BOOST_TEST(list.positions[2].targets.size() == 1U);
    BOOST_TEST(list.framesPerPosition == 3U);
    BOOST_TEST(*planRigPath(dir.path() + "/list.yaml") == dir.path() + "/rig.yaml");
}

BOOST_AUTO_TEST_SUITE_END()
