/* Bad rig files: each must be rejected with the exact position and message. */
#include <ostream>

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "config/rig.h"
#include "scratch_dir.h"

using namespace lockstep;
using lockstep::test::ExpectedDiagnostic;
using lockstep::test::ScratchDir;

namespace
{

struct BadRig {
    const char *name;
    std::string yaml;
    ExpectedDiagnostic expected;
};

std::ostream &operator<<(std::ostream &os, const BadRig &c)
{
    return os << c.name;
}

/* Lines 1-6: a node with one motor, whose keys start in column 9. */
const std::string kMotorHead = "rig: r\n"
                               "sim_dir: s\n"
                               "nodes:\n"
                               "  - host: a\n"
                               "    motors:\n"
                               "      - name: m\n";
/* Lines 7-12: the rest of a valid motor. */
const std::string kMotorBody = "        backend: sim\n"
                               "        step: {line: 1}\n"
                               "        dir: {line: 2}\n"
                               "        enable: {line: 3}\n"
                               "        max_speed: 10\n"
                               "        max_accel: 20\n";
/* Lines 1-5: a node whose cameras follow from line 6. */
const std::string kCameraHead = "rig: r\n"
                                "sim_dir: s\n"
                                "nodes:\n"
                                "  - host: a\n"
                                "    cameras:\n";

/* Lines 1-5 head a real motor on node a; its keys start in column 9. */
const std::string kRealHead = "rig: r\n"
                              "nodes:\n"
                              "  - host: a\n"
                              "    motors:\n"
                              "      - name: m\n"
                              "        backend: real\n";

std::string realMotor(const std::string &step, const std::string &enable,
                      const std::string &maxSpeed)
{
    return kRealHead + "        step: {line: " + step + "}\n        dir: {line: 2}\n" +
           "        enable: {line: 3" + enable + "}\n        max_speed: " + maxSpeed +
           "\n        max_accel: 20\n";
}

std::string motorWith(const std::string &extraLines)
{
    return kMotorHead + kMotorBody + extraLines;
}

const std::vector<BadRig> kBadRigs = {
    {"syntax_error", "rig: r\nnodes: [{host: a}\n", {3, 1, "end of sequence flow not found"}},
    {"empty_file", "", {1, 1, "the file is empty; expected a mapping"}},
    {"second_document",
     "rig: r\nnodes: [{host: a}]\n---\nrig: s\n",
     {3, 1, "only one YAML document is allowed per file"}},
    {"root_not_a_mapping", "- rig\n", {1, 1, "'rig file' must be a mapping, got a list"}},
    {"unknown_top_level_key",
     "rig: r\nnodes: [{host: a}]\ncolour: red\n",
     {3, 1, "unknown key 'colour' (allowed: rig, sim_dir, executor, nodes)"}},
    {"duplicate_key",
     "rig: r\nrig: s\nnodes: [{host: a}]\n",
     {2, 1, "duplicate key 'rig' (first at line 1)"}},
    {"missing_rig_name", "nodes: [{host: a}]\n", {1, 1, "missing required key 'rig'"}},
    {"null_rig_name",
     "rig: ~\nnodes: [{host: a}]\n",
     {1, 1, "'rig' must be a string, got nothing"}},
    {"empty_nodes", "rig: r\nnodes: []\n", {2, 8, "'nodes' must not be empty"}},
    {"nodes_not_a_list",
     "rig: r\nnodes: {host: a}\n",
     {2, 8, "'nodes' must be a list, got a mapping"}},
    {"duplicate_hostname",
     "rig: r\nnodes:\n  - host: a\n  - host: a\n",
     {4, 11, "host 'a' is already defined at line 3"}},
    {"hostname_with_space",
     "rig: r\nnodes: [{host: 'a b'}]\n",
     {2, 16,
      "'host' may contain only letters, digits, '.', '_' and '-', and must not start with '.' "
      "or '-', got \"a b\" (quoted)"}},
    {"negative_step_pulse",
     "rig: r\nexecutor: { step_pulse_us: -2 }\nnodes: [{host: a}]\n",
     {2, 28, "'step_pulse_us' must be greater than 0 and at most 1000, got -2"}},
    {"lateness_not_a_number",
     "rig: r\nexecutor: {max_lateness_us: soon}\nnodes: [{host: a}]\n",
     {2, 29, "'max_lateness_us' must be a number, got 'soon'"}},
    {"sim_without_sim_dir",
     "rig: r\nnodes:\n  - host: a\n    cameras: [{name: c, backend: sim}]\n",
     {1, 1, "missing required key 'sim_dir' (the rig has sim backends)"}},
    {"microsteps_not_a_power_of_two",
     motorWith("        microsteps: 12\n"),
     {13, 21, "'microsteps' must be one of 1, 2, 4, 8, 16, 32, 64, 128, 256, got 12"}},
    {"octal_looking_microsteps",
     motorWith("        microsteps: 010\n"),
     {13, 21,
      "'microsteps' has a leading zero: '010' (YAML reads it as octal); write it without the "
      "zero"}},
    {"duplicate_motor_key",
     motorWith("        max_speed: 5\n"),
     {13, 9, "duplicate key 'max_speed' (first at line 11)"}},
    {"fractional_steps_per_rev",
     motorWith("        steps_per_rev: 200.5\n"),
     {13, 24, "'steps_per_rev' must be a whole number, got '200.5'"}},
    {"mm_without_mm_per_rev",
     motorWith("        units: mm\n"),
     {13, 9, "units: mm needs 'mm_per_rev'"}},
    {"mm_per_rev_with_degrees",
     motorWith("        mm_per_rev: 8\n"),
     {13, 9, "'mm_per_rev' applies only to units: mm"}},
    {"unknown_units",
     motorWith("        units: inch\n"),
     {13, 16, "'units' must be one of deg, mm, got 'inch'"}},
    {"soft_limits_reversed",
     motorWith("        soft_limits: {min: 10, max: -10}\n"),
     {13, 37, "soft limit 'max' must be greater than 'min'"}},
    {"gpio_line_used_twice",
     motorWith("        endstop: {line: 2}\n"),
     {13, 25, "GPIO line 2 is already used by motor 'm' dir at line 9"}},
    {"gpio_line_over_63",
     motorWith("        endstop: {line: 64}\n"),
     {13, 25, "'line' must be between 0 and 63, got 64"}},
    {"unknown_polarity",
     motorWith("        endstop: {line: 4, active: maybe}\n"),
     {13, 36, "'active' must be one of high, low, got 'maybe'"}},
    {"homing_without_endstop",
     motorWith("        homing: {direction: -1}\n"),
     {13, 9, "'homing' needs an 'endstop' line"}},
    {"homing_direction_2",
     motorWith("        endstop: {line: 4}\n        homing: {direction: 2}\n"),
     {14, 29, "'direction' must be -1 or 1, got 2"}},
    {"homing_faster_than_max_speed",
     motorWith("        endstop: {line: 4}\n        homing: {speed: 20}\n"),
     {14, 25, "'speed' must be greater than 0 and at most 10, got 20"}},
    {"max_speed_beyond_the_step_pulse",
     "executor: {step_pulse_us: 100}\n" + motorWith("        gear_ratio: 100\n"),
     {12, 20,
      "'max_speed' 10 deg/s is 8888.89 steps/s, above the 5000 steps/s that a 100 us step pulse "
      "allows"}},
    {"homing_in_mm_without_soft_limits",
     motorWith("        units: mm\n        mm_per_rev: 8\n        endstop: {line: 4}\n"
               "        homing: {direction: -1}\n"),
     {16, 9, "homing a motor in mm needs both soft_limits, 'min' and 'max', to bound its travel"}},
    {"endstop_in_mm_with_one_soft_limit",
     motorWith("        units: mm\n        mm_per_rev: 8\n        endstop: {line: 4}\n"
               "        soft_limits: {min: 0}\n"),
     {15, 9, "homing a motor in mm needs both soft_limits, 'min' and 'max', to bound its travel"}},
    {"zero_gear_ratio",
     motorWith("        gear_ratio: 0\n"),
     {13, 21, "'gear_ratio' must be greater than 0, got 0"}},
    {"unknown_motor_key",
     motorWith("        speed: 5\n"),
     {13, 9,
      "unknown key 'speed' (allowed: name, backend, step, dir, enable, endstop, homing, "
      "steps_per_rev, microsteps, gear_ratio, units, mm_per_rev, max_speed, max_accel, "
      "soft_limits, sim)"}},
    {"sim_settings_on_real_motor",
     kMotorHead + "        backend: real\n        step: {line: 1}\n        dir: {line: 2}\n"
                  "        enable: {line: 3}\n        max_speed: 10\n        max_accel: 20\n"
                  "        sim: {}\n",
     {13, 9, "'sim' settings apply only to backend: sim"}},
    {"missing_backend",
     kMotorHead + "        step: {line: 1}\n        dir: {line: 2}\n        enable: {line: 3}\n"
                  "        max_speed: 10\n        max_accel: 20\n",
     {6, 9, "missing required key 'backend'"}},
    {"unknown_backend",
     kMotorHead + "        backend: simulated\n        step: {line: 1}\n        dir: {line: 2}\n"
                  "        enable: {line: 3}\n        max_speed: 10\n        max_accel: 20\n",
     {7, 18, "'backend' must be one of real, sim, got 'simulated'"}},
    {"negative_max_speed",
     kMotorHead + "        backend: sim\n        step: {line: 1}\n        dir: {line: 2}\n"
                  "        enable: {line: 3}\n        max_speed: -10\n        max_accel: 20\n",
     {11, 20, "'max_speed' must be greater than 0, got -10"}},
    {"quoted_max_accel",
     kMotorHead + "        backend: sim\n        step: {line: 1}\n        dir: {line: 2}\n"
                  "        enable: {line: 3}\n        max_speed: 10\n        max_accel: \"20\"\n",
     {12, 20, "'max_accel' must be a number, got \"20\" (quoted)"}},
    {"step_without_line",
     kMotorHead + "        backend: sim\n        step: {active: low}\n        dir: {line: 2}\n"
                  "        enable: {line: 3}\n        max_speed: 10\n        max_accel: 20\n",
     {8, 15, "missing required key 'line'"}},
    {"step_as_a_number",
     kMotorHead + "        backend: sim\n        step: 17\n        dir: {line: 2}\n"
                  "        enable: {line: 3}\n        max_speed: 10\n        max_accel: 20\n",
     {8, 15, "'step' must be a mapping, got '17'"}},
    {"motors_of_a_node_mix_backends",
     motorWith("      - {name: n, backend: real, step: {line: 4}, dir: {line: 5}, enable: {line: "
               "6}, max_speed: 1, max_accel: 1}\n"),
     {13, 28,
      "motor 'n' has backend real, but motor 'm' at line 7 has backend sim: the motors of a node "
      "must share one GPIO backend"}},
    {"duplicate_motor_across_nodes",
     motorWith("  - host: b\n    motors:\n      - {name: m, backend: sim, step: {line: 1}, dir: "
               "{line: 2}, enable: {line: 3}, max_speed: 1, max_accel: 1}\n"),
     {15, 16, "motor 'm' is already defined at line 6"}},
    {"camera_id_and_index",
     kCameraHead + "      - {name: c, backend: real, id: x, index: 0}\n",
     {6, 41, "give either 'id' or 'index', not both"}},
    {"camera_rotation_90",
     kCameraHead + "      - {name: c, backend: real, rotation: 90}\n",
     {6, 44, "'rotation' must be 0 or 180, got 90"}},
    {"duplicate_camera_on_node",
     kCameraHead + "      - {name: c, backend: real}\n      - {name: c, backend: real}\n",
     {7, 16, "camera 'c' is already defined at line 6"}},
    {"sim_camera_motor_not_in_rig",
     kCameraHead + "      - {name: c, backend: sim, sim: {motor: table}}\n",
     {6, 46, "sim camera motor 'table' is not a motor of this rig"}},
    {"sim_sensor_unknown",
     kCameraHead + "      - {name: c, backend: sim, sim: {sensor: imx500}}\n",
     {6, 47, "'sensor' must be one of generic, imx219, imx477, imx708, got 'imx500'"}},
    {"sim_control_latency_zero",
     kCameraHead + "      - {name: c, backend: sim, sim: {control_latency: 0}}\n",
     {6, 56, "'control_latency' must be between 1 and 30, got 0"}},
    {"real_motor_line_off_the_header",
     realMotor("28", "", "10"),
     {7, 22, "'line' must be between 0 and 27, got 28"}},
    {"enable_bias_toward_active",
     realMotor("17", ", active: low, bias: pull-down", "10"),
     {9, 46,
      "ENABLE needs bias: pull-up (its inactive level), so that the driver stays off while no "
      "program drives the line"}},
    {"line_bias_unknown",
     realMotor("17", ", bias: up", "10"),
     {9, 33, "'bias' must be one of as-is, disabled, pull-up, pull-down, got 'up'"}},
    {"real_motor_faster_than_its_node",
     realMotor("17", "", "1000"),
     {10, 20,
      "'max_speed' 1000 is 8888.89 steps/s, above the 5000 steps/s this node allows: a step "
      "waking 400 us late (the node's wakeup_latency_us, unmeasured: the default) must stay "
      "within max_lateness_periods (2) of its step period"}},
    {"executor_priority_above_98",
     "rig: r\nexecutor: {priority: 99}\nnodes: [{host: a}]\n",
     {2, 22, "'priority' must be between 1 and 98, got 99"}},
    {"camera_index_negative",
     kCameraHead + "      - {name: c, backend: real, index: -1}\n",
     {6, 41, "'index' must be between 0 and 255, got -1"}},
};

} // namespace

BOOST_AUTO_TEST_SUITE(bad_rig)

BOOST_DATA_TEST_CASE(is_rejected_with_position_and_message, boost::unit_test::data::make(kBadRigs),
                     bad)
{
    const ScratchDir dir;
    const std::string file = dir.write("rig.yaml", bad.yaml);
    test::checkDiagnostics([&] { loadRig(file); }, file, {bad.expected});
}

BOOST_AUTO_TEST_CASE(every_problem_is_reported_in_file_order)
{
    const ScratchDir dir;
    const std::string file = dir.write("rig.yaml", "rig: r\n"
                                                   "nodes:\n"
                                                   "  - host: a\n"
                                                   "    cameras:\n"
                                                   "      - {name: c, backend: sim, rotation: 90}\n"
                                                   "      - {name: c, backend: sim, index: 010}\n"
                                                   "  - host: a\n"
                                                   "    speed: 3\n");
    test::checkDiagnostics(
        [&] { loadRig(file); }, file,
        {{1, 1, "missing required key 'sim_dir' (the rig has sim backends)"},
         {5, 43, "'rotation' must be 0 or 180, got 90"},
         {6, 16, "camera 'c' is already defined at line 5"},
         {6, 40,
          "'index' has a leading zero: '010' (YAML reads it as octal); write "
          "it without the zero"},
         {7, 11, "host 'a' is already defined at line 3"},
         {8, 5,
          "unknown key 'speed' (allowed: host, gpio_chip, wakeup_latency_us, motors, cameras)"}});
}

BOOST_AUTO_TEST_CASE(unreadable_file_is_reported_without_position)
{
    const ScratchDir dir;
    const std::string file = dir.path() + "/absent.yaml";
    test::checkDiagnostics([&] { loadRig(file); }, file,
                           {{0, 0, "cannot open: No such file or directory"}});
}

BOOST_AUTO_TEST_SUITE_END()
