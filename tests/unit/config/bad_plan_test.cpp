/* Bad scan plans: each must be rejected with the exact position and message. */
#include <ostream>

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "config/plan.h"
#include "scratch_dir.h"

using namespace lockstep;
using lockstep::test::ExpectedDiagnostic;
using lockstep::test::ScratchDir;

namespace
{

struct BadPlan {
    const char *name;
    std::string yaml;
    ExpectedDiagnostic expected;
};

std::ostream &operator<<(std::ostream &os, const BadPlan &c)
{
    return os << c.name;
}

/* pi01 drives the turntable (-720..720 deg, 90 deg/s, 180 deg/s^2); pi01 and pi02 each have a
 * camera named "cam". */
RigConfig twoNodeRig()
{
    RigConfig rig;
    rig.name = "r";
    MotorConfig turntable;
    turntable.name = "turntable";
    turntable.maxSpeed = 90;
    turntable.maxAccel = 180;
    turntable.softMin = -720;
    turntable.softMax = 720;
    CameraConfig camera;
    camera.name = "cam";
    rig.nodes.resize(2);
    rig.nodes[0].hostname = "pi01";
    rig.nodes[0].motors = {turntable};
    rig.nodes[0].cameras = {camera};
    rig.nodes[1].hostname = "pi02";
    rig.nodes[1].cameras = {camera};
    return rig;
}

/* Lines 1-3: a valid plan; cases add from line 4. */
const std::string kPlan = "scan: s\n"
                          "positions:\n"
                          "  sweep: {motor: turntable, from: 0, to: 90, count: 4}\n";

std::string planWith(const std::string &extraLines)
{
    return kPlan + extraLines;
}

std::string sweep(const std::string &mapping)
{
    return "scan: s\npositions:\n  sweep: " + mapping + "\n";
}

const std::vector<BadPlan> kBadPlans = {
    {"missing_scan",
     "positions:\n  sweep: {motor: turntable, from: 0, to: 90, count: 4}\n",
     {1, 1, "missing required key 'scan'"}},
    {"missing_positions", "scan: s\n", {1, 1, "missing required key 'positions'"}},
    {"scan_name_with_slash",
     "scan: a/b\npositions: [{turntable: 0}]\n",
     {1, 7,
      "'scan' may contain only letters, digits, '.', '_' and '-', and must not start with '.' "
      "or '-', got 'a/b'"}},
    {"unknown_plan_key",
     planWith("speed: 3\n"),
     {4, 1,
      "unknown key 'speed' (allowed: scan, rig, positions, motion, settle_ms, "
      "frames_per_position, capture, capture_margin_ms, max_skew_us, cameras, return_home, "
      "output)"}},
    {"duplicate_plan_key", planWith("scan: t\n"), {4, 1, "duplicate key 'scan' (first at line 1)"}},
    {"sweep_unknown_motor",
     sweep("{motor: table, from: 0, to: 90, count: 4}"),
     {3, 18, "unknown motor 'table': rig 'r' has motors turntable"}},
    {"sweep_beyond_soft_limit",
     sweep("{motor: turntable, from: 0, to: 800, count: 4}"),
     {3, 42, "target 800 is outside the soft limits of motor 'turntable' (-720 .. 720)"}},
    {"sweep_count_0",
     sweep("{motor: turntable, from: 0, to: 90, count: 0}"),
     {3, 53, "'count' must be between 1 and 100000, got 0"}},
    {"sweep_without_count",
     sweep("{motor: turntable, from: 0, to: 90}"),
     {3, 10, "missing required key 'count'"}},
    {"positions_is_a_number",
     "scan: s\npositions: 5\n",
     {2, 12, "'positions' must be a mapping with 'sweep' or a list of positions"}},
    {"list_unknown_motor",
     "scan: s\npositions:\n  - {turntable: 0}\n  - {lift: 5}\n",
     {4, 6, "unknown motor 'lift': rig 'r' has motors turntable"}},
    {"list_empty_position",
     "scan: s\npositions:\n  - {turntable: 0}\n  - {}\n",
     {4, 5, "'positions[1]' is empty: a position gives at least one motor a target"}},
    {"list_target_not_a_number",
     "scan: s\npositions:\n  - {turntable: left}\n",
     {3, 17, "'turntable' must be a number, got 'left'"}},
    {"list_target_below_soft_limit",
     "scan: s\npositions:\n  - {turntable: -721}\n",
     {3, 17, "target -721 is outside the soft limits of motor 'turntable' (-720 .. 720)"}},
    {"speed_over_motor_maximum",
     planWith("motion:\n  turntable: {max_speed: 120}\n"),
     {5, 26, "'max_speed' 120 exceeds the max_speed of motor 'turntable' (90)"}},
    {"accel_over_motor_maximum",
     planWith("motion:\n  turntable: {max_accel: 500}\n"),
     {5, 26, "'max_accel' 500 exceeds the max_accel of motor 'turntable' (180)"}},
    {"motion_unknown_motor",
     planWith("motion:\n  lift: {max_speed: 1}\n"),
     {5, 3, "unknown motor 'lift': rig 'r' has motors turntable"}},
    {"camera_unknown_host",
     planWith("cameras: [pi09/cam]\n"),
     {4, 11,
      "unknown camera 'pi09/cam': rig 'r' has no host 'pi09' (did you mean 'pi01'?) (hosts: pi01, "
      "pi02)"}},
    {"camera_unknown_on_host",
     planWith("cameras: [pi01/left]\n"),
     {4, 11, "unknown camera 'pi01/left': host 'pi01' has no camera 'left' (cameras: cam)"}},
    {"camera_without_host",
     planWith("cameras: [cam]\n"),
     {4, 11, "camera 'cam' must be written as host/camera"}},
    {"camera_listed_twice",
     planWith("cameras: [pi01/cam, pi01/cam]\n"),
     {4, 21, "camera 'pi01/cam' is listed twice"}},
    {"unknown_placeholder",
     planWith("output: {pattern: \"{pos}/{node}-{camera}\"}\n"),
     {4, 19, "unknown placeholder '{pos}' (allowed: {position}, {frame}, {node}, {camera})"}},
    {"unclosed_placeholder",
     planWith("output: {pattern: \"{position/{node}-{camera}\"}\n"),
     {4, 19, "unclosed '{' at offset 0 of the pattern"}},
    {"pattern_leaves_scan_folder",
     planWith("output: {pattern: \"../{position}-{node}-{camera}\"}\n"),
     {4, 19, "the pattern must be a relative path without empty, '.' or '..' parts"}},
    {"pattern_merges_cameras",
     planWith("output: {pattern: \"pos-{position}/{camera}\"}\n"),
     {4, 19,
      "output pattern 'pos-{position}/{camera}' gives several frames the same file "
      "'pos-0000/cam.jpg' (tell them apart with {position}, {frame}, {node}, {camera})"}},
    {"several_frames_without_frame_placeholder",
     planWith("frames_per_position: 2\n"),
     {4, 22,
      "output pattern 'pos-{position}/{node}-{camera}' gives several frames the same file "
      "'pos-0000/pi01-cam.jpg' (tell them apart with {position}, {frame}, {node}, {camera})"}},
    {"frames_per_position_0",
     planWith("frames_per_position: 0\n"),
     {4, 22, "'frames_per_position' must be between 1 and 1000, got 0"}},
    {"return_home_yes",
     planWith("return_home: yes\n"),
     {4, 14, "'return_home' must be true or false, got 'yes'"}},
    {"quality_over_100",
     planWith("capture: {quality: 101}\n"),
     {4, 20, "'quality' must be between 1 and 100, got 101"}},
    {"quality_with_png",
     planWith("capture: {format: png, quality: 90}\n"),
     {4, 24, "'quality' applies only to format: jpeg"}},
    {"unknown_sync",
     planWith("capture: {sync: closed_loop}\n"),
     {4, 17, "'sync' must be one of phase_locked, open_loop, got 'closed_loop'"}},
    {"unknown_format",
     planWith("capture: {format: tiff}\n"),
     {4, 19, "'format' must be one of jpeg, png, dng, got 'tiff'"}},
    {"format_and_formats",
     planWith("capture: {format: jpeg, formats: [dng]}\n"),
     {4, 25, "give 'format' or 'formats', not both"}},
    {"format_listed_twice",
     planWith("capture: {formats: [dng, jpeg, dng]}\n"),
     {4, 32, "format 'dng' is listed twice"}},
    {"unknown_format_in_list",
     planWith("capture: {formats: [jpeg, raw]}\n"),
     {4, 27, "'formats[1]' must be one of jpeg, png, dng, got 'raw'"}},
    {"quality_without_jpeg",
     planWith("capture: {formats: [png, dng], quality: 90}\n"),
     {4, 32, "'quality' applies only to format: jpeg"}},
    {"gain_below_1",
     planWith("capture: {gain: 0.5}\n"),
     {4, 17, "'gain' must be between 1 and 64, got 0.5"}},
    {"fractional_exposure",
     planWith("capture: {exposure_us: 1.5}\n"),
     {4, 24, "'exposure_us' must be a whole number, got '1.5'"}},
    {"negative_settle",
     planWith("settle_ms: -1\n"),
     {4, 12, "'settle_ms' must be between 0 and 600000, got -1"}},
    {"octal_looking_settle",
     planWith("settle_ms: 0150\n"),
     {4, 12,
      "'settle_ms' has a leading zero: '0150' (YAML reads it as octal); write it without the "
      "zero"}},
    {"hex_margin",
     planWith("capture_margin_ms: 0x10\n"),
     {4, 20, "'capture_margin_ms' must be a whole number, got '0x10'"}},
    {"rig_not_a_string", planWith("rig: [a, b]\n"), {4, 6, "'rig' must be a string, got a list"}},
    {"zero_skew_bound",
     planWith("max_skew_us: 0\n"),
     {4, 14, "'max_skew_us' must be between 1 and 10000000, got 0"}},
};

} // namespace

BOOST_AUTO_TEST_SUITE(bad_plan)

BOOST_DATA_TEST_CASE(is_rejected_with_position_and_message, boost::unit_test::data::make(kBadPlans),
                     bad)
{
    const ScratchDir dir;
    const std::string file = dir.write("plan.yaml", bad.yaml);
    const RigConfig rig = twoNodeRig();
    test::checkDiagnostics([&] { loadPlan(file, rig); }, file, {bad.expected});
}

BOOST_AUTO_TEST_CASE(every_problem_is_reported_in_file_order)
{
    const ScratchDir dir;
    const std::string file = dir.write("plan.yaml", "scan: s\n"
                                                    "positions:\n"
                                                    "  - {turntable: 900}\n"
                                                    "  - {turntable: 0, lift: 1}\n"
                                                    "motion: {turntable: {max_speed: 100}}\n"
                                                    "capture: {width: 8, quality: 0}\n"
                                                    "return_home: 1\n");
    const RigConfig rig = twoNodeRig();
    test::checkDiagnostics(
        [&] { loadPlan(file, rig); }, file,
        {{3, 17, "target 900 is outside the soft limits of motor 'turntable' (-720 .. 720)"},
         {4, 20, "unknown motor 'lift': rig 'r' has motors turntable"},
         {5, 33, "'max_speed' 100 exceeds the max_speed of motor 'turntable' (90)"},
         {6, 18, "'width' must be between 16 and 16384, got 8"},
         {6, 30, "'quality' must be between 1 and 100, got 0"},
         {7, 14, "'return_home' must be true or false, got '1'"}});
}

BOOST_AUTO_TEST_CASE(plan_rig_path_reports_a_bad_plan)
{
    const ScratchDir dir;
    const std::string broken = dir.write("broken.yaml", "scan: s\nrig: [a\n");
    test::checkDiagnostics([&] { planRigPath(broken); }, broken,
                           {{3, 1, "end of sequence flow not found"}});
    const std::string notAString = dir.write("list.yaml", "scan: s\nrig: {file: r.yaml}\n");
    test::checkDiagnostics([&] { planRigPath(notAString); }, notAString,
                           {{2, 6, "'rig' must be a string, got a mapping"}});
    /* Other problems are left to loadPlan, which reports them all at once. */
    const std::string duplicate =
        dir.write("dup.yaml", "scan: s\nrig: r.yaml\nsettle_ms: 1\nsettle_ms: 2\n");
    BOOST_TEST(planRigPath(duplicate).value_or("") == dir.path() + "/r.yaml");
}

BOOST_AUTO_TEST_CASE(rig_problems_do_not_hide_the_plans)
{
    const ScratchDir dir;
    const std::string rig =
        dir.write("rig.yaml", "rig: r\n"
                              "nodes:\n"
                              "  - host: pi01\n"
                              "    cameras:\n"
                              "      - {name: cam, backend: real, rotation: 90}\n"
                              "  - host: pi01\n");
    /* The rig is not valid: the plan is checked for all that does not depend on it (no "unknown
     * motor 'lift'", no soft limits), and reported after the rig. */
    const std::string plan = dir.write("plan.yaml", "scan: s\n"
                                                    "positions:\n"
                                                    "  - {lift: 10}\n"
                                                    "  - {lift: up}\n"
                                                    "settle_ms: -1\n"
                                                    "motion: {lift: {max_speed: 0}}\n"
                                                    "cameras: [pi01/cam, cam, pi01/cam]\n");
    test::checkDiagnostics([&] { loadPlanWithRig(plan, rig); },
                           {{rig, 5, 46, "'rotation' must be 0 or 180, got 90"},
                            {rig, 6, 11, "host 'pi01' is already defined at line 3"},
                            {plan, 4, 12, "'lift' must be a number, got 'up'"},
                            {plan, 5, 12, "'settle_ms' must be between 0 and 600000, got -1"},
                            {plan, 6, 28, "'max_speed' must be greater than 0, got 0"},
                            {plan, 7, 21, "camera 'cam' must be written as host/camera"},
                            {plan, 7, 26, "camera 'pi01/cam' is listed twice"}});
}

BOOST_AUTO_TEST_CASE(plan_problems_are_reported_when_the_rig_cannot_be_parsed)
{
    const ScratchDir dir;
    const std::string rig = dir.write("rig.yaml", "rig: r\nnodes: [{host: a}\n");
    const std::string plan = dir.write("plan.yaml", "scan: s\n"
                                                    "positions:\n"
                                                    "  sweep: {motor: turntable, from: 0, to: "
                                                    "east, count: 4}\n"
                                                    "return_home: yes\n");
    test::checkDiagnostics([&] { loadPlanWithRig(plan, rig); },
                           {{rig, 3, 1, "end of sequence flow not found"},
                            {plan, 3, 42, "'to' must be a number, got 'east'"},
                            {plan, 4, 14, "'return_home' must be true or false, got 'yes'"}});
}

BOOST_AUTO_TEST_CASE(a_valid_rig_checks_the_plan_against_it)
{
    const ScratchDir dir;
    const std::string rig =
        dir.write("rig.yaml", "rig: r\n"
                              "nodes:\n"
                              "  - host: pi01\n"
                              "    motors:\n"
                              "      - {name: lift, backend: real, step: {line: 1}, "
                              "dir: {line: 2}, enable: {line: 3}, max_speed: 10, "
                              "max_accel: 20}\n");
    const std::string bad = dir.write("bad.yaml", "scan: s\npositions: [{tilt: 10}]\n");
    test::checkDiagnostics([&] { loadPlanWithRig(bad, rig); }, bad,
                           {{2, 14, "unknown motor 'tilt': rig 'r' has motors lift"}});
    const LoadedConfig good =
        loadPlanWithRig(dir.write("good.yaml", "scan: s\npositions: [{lift: 10}]\n"), rig);
    BOOST_TEST(good.rig.name == "r");
    BOOST_TEST_REQUIRE(good.plan.positions.size() == 1U);
    BOOST_TEST(good.plan.positions[0].targets.at("lift") == 10.0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(formats_name_every_file_of_a_frame)
{
    const ScratchDir dir;
    const std::string file =
        dir.write("plan.yaml", planWith("capture: {formats: [dng, jpeg], quality: 80}\n"));
    const ScanPlan plan = loadPlan(file, twoNodeRig());
    BOOST_TEST(
        (plan.capture.formats == std::vector<ImageFormat>{ImageFormat::Dng, ImageFormat::Jpeg}));
    BOOST_TEST(plan.capture.jpegQuality == 80);
    BOOST_TEST(plan.capture.writes(ImageFormat::Dng));
    BOOST_TEST(!plan.capture.writes(ImageFormat::Png));
    BOOST_TEST(framePath(plan.outputPattern, 3, 0, "pi01", "cam", ImageFormat::Dng) ==
               "pos-0003/pi01-cam.dng");
    BOOST_TEST((formatOfFile("pos-0003/pi01-cam.dng") == ImageFormat::Dng));
    BOOST_TEST(!formatOfFile("pos-0003/pi01-cam.tif").has_value());
    const ScanPlan single =
        loadPlan(dir.write("single.yaml", planWith("capture: {format: dng}\n")), twoNodeRig());
    BOOST_TEST((single.capture.formats == std::vector<ImageFormat>{ImageFormat::Dng}));
}

BOOST_AUTO_TEST_CASE(dng_is_taken_for_every_camera_backend)
{
    /* Whether a sensor offers a raw stream is known only when it is configured (before any
     * motor moves): the plan does not guess it from the backend. */
    const ScratchDir dir;
    RigConfig rig = twoNodeRig();
    rig.nodes[1].cameras[0].backend = Backend::Real;
    const std::string file =
        dir.write("plan.yaml", planWith("capture: {width: 64, formats: [jpeg, dng]}\n"));
    BOOST_TEST(loadPlan(file, rig).capture.writes(ImageFormat::Dng));
}
