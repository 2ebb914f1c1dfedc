#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

#include "config/rig.h"
#include "config/yaml_reader.h"

namespace lockstep
{

namespace
{

using config::Field;
using config::kPositive;
using config::MapReader;
using config::Range;
using config::Reader;

constexpr Range kGpioLine{0, 63};
constexpr Range kStepsPerRev{1, 100'000};
constexpr std::array<int64_t, 9> kMicrosteps = {1, 2, 4, 8, 16, 32, 64, 128, 256};

std::string number(double v)
{
    std::ostringstream out;
    out << v;
    return out.str();
}

std::string lineOf(const config::Mark &mark)
{
    return "line " + std::to_string(mark.line + 1);
}

/* Reads a rig file into a RigConfig, collecting every problem in the Reader. */
class RigLoader
{
public:
    explicit RigLoader(const std::string &path) : reader_(path) { rig_.path = path; }

    RigConfig load();

private:
    /* A GPIO line already taken on the node being read. */
    struct LineUse {
        unsigned offset;
        std::string user;
        config::Mark mark;
    };
    using Names = std::map<std::string, config::Mark>;

    void readExecutor(const Field &field);
    void readNode(const Field &field);
    /* `backend`: the motor's backend key, if its value is good. */
    std::optional<MotorConfig> readMotor(const Field &field, std::vector<LineUse> &lines,
                                         std::optional<Field> &backend);
    /* The motors of a node share one GPIO backend; reported at each backend key that differs. */
    void checkBackends(const NodeConfig &node, const std::vector<std::optional<Field>> &backends);
    /* `real`: a line of the Pi's header (GPIO 0-27), else a simulated one (0-63). `role`
     * "enable" gets an explicit bias toward its inactive level. */
    std::optional<LineConfig> readLine(const Field &field, const std::string &user,
                                       std::vector<LineUse> &lines, bool real, bool enable);
    void readHoming(const Field &field, MotorConfig &motor);
    void readSoftLimits(const Field &field, MotorConfig &motor);
    std::optional<CameraConfig> readCamera(const Field &field, Names &cameraNames);
    /* The required `backend` key; also rejects `sim` settings on a real backend. */
    std::optional<Backend> readBackend(MapReader &map);
    /* Reads a name that must be unique among `seen`; reports the second definition. */
    std::optional<std::string> readUniqueName(const Field &field, Names &seen,
                                              const std::string &what);

    Reader reader_;
    RigConfig rig_;
    Names hosts_;
    Names motors_;
    std::vector<std::pair<std::string, Field>> simCameraMotors_;
    bool usesSim_ = false;
    bool stepPulseKnown_ = true;                     /* false: step_pulse_us was reported */
    double nodeLatencyUs_ = kDefaultWakeupLatencyUs; /* of the node being read */
    bool nodeLatencyMeasured_ = false;
};

RigConfig RigLoader::load()
{
    const std::optional<Field> root = reader_.load("rig file");
    if (!root) {
        reader_.throwIfFailed();
        return rig_;
    }
    MapReader map(reader_, *root, {"rig", "sim_dir", "executor", "nodes"});
    if (const Field *f = map.require("rig"))
        rig_.name = config::readName(reader_, *f).value_or("");
    const Field *simDir = map.find("sim_dir");
    if (simDir)
        rig_.simDir = config::readString(reader_, *simDir).value_or("");
    if (const Field *f = map.find("executor"))
        readExecutor(*f);
    if (const Field *f = map.require("nodes"))
        for (const Field &node : config::sequenceEntries(reader_, *f))
            readNode(node);

    for (const auto &[motor, field] : simCameraMotors_)
        if (!rig_.findMotor(motor))
            reader_.error(field, "sim camera motor '" + motor + "' is not a motor of this rig");
    if (usesSim_ && !simDir && map.isMap())
        reader_.error(*root, "missing required key 'sim_dir' (the rig has sim backends)");
    if (!rig_.simDir.empty()) {
        namespace fs = std::filesystem;
        const fs::path dir = fs::path(rig_.path).parent_path() / rig_.simDir;
        rig_.simDir = fs::absolute(dir).lexically_normal().string();
    }
    reader_.throwIfFailed();
    return rig_;
}

void RigLoader::readExecutor(const Field &field)
{
    MapReader map(reader_, field,
                  {"step_pulse_us", "dir_setup_us", "enable_setup_us", "max_lateness_us",
                   "max_lateness_periods", "priority"});
    /* Fractional microseconds in the file, a duration from here on. */
    const auto microseconds = [&](const char *key, Nanoseconds &to, const Range &range) {
        if (const Field *f = map.find(key))
            if (auto us = config::readNumber(reader_, *f, range))
                to =
                    std::chrono::round<Nanoseconds>(std::chrono::duration<double, std::micro>(*us));
    };
    const std::size_t errors = reader_.errorCount();
    microseconds("step_pulse_us", rig_.stepPulse, {0, 1000, true});
    stepPulseKnown_ = reader_.errorCount() == errors;
    microseconds("dir_setup_us", rig_.dirSetup, {0, 1000});
    microseconds("enable_setup_us", rig_.enableSetup, {0, 1'000'000});
    microseconds("max_lateness_us", rig_.maxLateness, {0, 1'000'000, true});
    if (const Field *f = map.find("max_lateness_periods"))
        rig_.maxLatenessPeriods =
            config::readNumber(reader_, *f, {0, 1000, true}).value_or(rig_.maxLatenessPeriods);
    /* 1-98: 99 would starve the kernel's own highest-priority threads. */
    if (const Field *f = map.find("priority"))
        rig_.executorPriority =
            int(config::readInteger(reader_, *f, {1, 98}).value_or(rig_.executorPriority));
}

std::optional<std::string> RigLoader::readUniqueName(const Field &field, Names &seen,
                                                     const std::string &what)
{
    auto name = config::readName(reader_, field);
    if (!name)
        return std::nullopt;
    const auto [first, inserted] = seen.emplace(*name, field.mark());
    if (!inserted)
        reader_.error(field,
                      what + " '" + *name + "' is already defined at " + lineOf(first->second));
    return name;
}

void RigLoader::readNode(const Field &field)
{
    MapReader map(reader_, field, {"host", "gpio_chip", "wakeup_latency_us", "motors", "cameras"});
    if (!map.isMap())
        return;
    NodeConfig node;
    nodeLatencyUs_ = kDefaultWakeupLatencyUs;
    nodeLatencyMeasured_ = false;
    if (const Field *f = map.find("wakeup_latency_us"))
        if (const auto us = config::readNumber(reader_, *f, {0, 100'000, true})) {
            nodeLatencyUs_ = node.wakeupLatencyUs = *us;
            nodeLatencyMeasured_ = true;
        }
    if (const Field *f = map.require("host"))
        node.hostname = readUniqueName(*f, hosts_, "host").value_or("");
    if (const Field *f = map.find("gpio_chip"))
        node.gpioChip = config::readString(reader_, *f).value_or("");

    std::vector<LineUse> lines;
    std::vector<std::optional<Field>> backends; /* one per entry of node.motors */
    if (const Field *f = map.find("motors"))
        for (const Field &entry : config::sequenceEntries(reader_, *f, true)) {
            std::optional<Field> backend;
            if (auto motor = readMotor(entry, lines, backend)) {
                node.motors.push_back(std::move(*motor));
                backends.push_back(std::move(backend));
            }
        }
    checkBackends(node, backends);

    Names cameraNames;
    if (const Field *f = map.find("cameras"))
        for (const Field &entry : config::sequenceEntries(reader_, *f, true))
            if (auto camera = readCamera(entry, cameraNames))
                node.cameras.push_back(std::move(*camera));
    rig_.nodes.push_back(std::move(node));
}

void RigLoader::checkBackends(const NodeConfig &node,
                              const std::vector<std::optional<Field>> &backends)
{
    /* Motors whose backend was reported take no part. */
    std::vector<const MotorConfig *> motors;
    std::vector<const Field *> keys;
    for (std::size_t i = 0; i < node.motors.size(); ++i)
        if (backends[i]) {
            motors.push_back(&node.motors[i]);
            keys.push_back(&*backends[i]);
        }
    const auto name = [](const Backend backend) {
        return backend == Backend::Real ? "real" : "sim";
    };
    for (const std::size_t i : mixedBackends(motors))
        reader_.error(*keys[i], "motor '" + motors[i]->name + "' has backend " +
                                    name(motors[i]->backend) + ", but motor '" +
                                    motors.front()->name + "' at " + lineOf(keys.front()->mark()) +
                                    " has backend " + name(motors.front()->backend) +
                                    ": the motors of a node must share one GPIO backend");
}

std::optional<Backend> RigLoader::readBackend(MapReader &map)
{
    const Field *f = map.require("backend");
    if (!f)
        return std::nullopt;
    const auto choice = config::readChoice(reader_, *f, {"real", "sim"});
    if (!choice)
        return std::nullopt;
    const Backend backend = *choice == 0 ? Backend::Real : Backend::Sim;
    if (backend == Backend::Sim)
        usesSim_ = true;
    const Field *sim = map.find("sim");
    if (sim && backend != Backend::Sim)
        reader_.error(sim->keyMark, "'sim' settings apply only to backend: sim");
    return backend;
}

std::optional<LineConfig> RigLoader::readLine(const Field &field, const std::string &user,
                                              std::vector<LineUse> &lines, bool real, bool enable)
{
    MapReader map(reader_, field, {"line", "active", "bias"});
    LineConfig line;
    if (const Field *f = map.find("active"))
        if (auto choice = config::readChoice(reader_, *f, {"high", "low"}))
            line.activeLow = *choice == 1;
    constexpr std::array<LineBias, 4> kBiases{LineBias::AsIs, LineBias::Disabled, LineBias::PullUp,
                                              LineBias::PullDown};
    const Field *bias = map.find("bias");
    bool biasKnown = !bias;
    if (bias)
        if (auto choice =
                config::readChoice(reader_, *bias, {"as-is", "disabled", "pull-up", "pull-down"})) {
            line.bias = kBiases[*choice];
            biasKnown = true;
        }
    if (enable && biasKnown) {
        /* A released line is an input held by its pull (Pi 0-4): ENABLE's must hold the driver
         * off. Explicit when not given; one toward the active level is refused. */
        const LineBias safe = line.activeLow ? LineBias::PullUp : LineBias::PullDown;
        if (!bias)
            line.bias = safe;
        else if (line.bias != safe)
            reader_.error(*bias, std::string("ENABLE needs bias: ") +
                                     (line.activeLow ? "pull-up" : "pull-down") +
                                     " (its inactive level), so that the driver stays off while "
                                     "no program drives the line");
    }
    const Field *f = map.require("line");
    if (!f)
        return std::nullopt;
    const Range range = real ? Range{0, kHeaderGpioLines - 1} : kGpioLine;
    const auto offset = config::readInteger(reader_, *f, range);
    if (!offset)
        return std::nullopt; /* a real motor's: GPIO 0-27, the 40-pin header's BCM numbers */
    line.offset = static_cast<unsigned>(*offset);
    const auto taken = std::find_if(lines.begin(), lines.end(),
                                    [&](const LineUse &use) { return use.offset == line.offset; });
    if (taken != lines.end()) {
        reader_.error(*f, "GPIO line " + std::to_string(line.offset) + " is already used by " +
                              taken->user + " at " + lineOf(taken->mark));
        return std::nullopt;
    }
    lines.push_back({line.offset, user, f->mark()});
    return line;
}

std::optional<MotorConfig> RigLoader::readMotor(const Field &field, std::vector<LineUse> &lines,
                                                std::optional<Field> &backend)
{
    MapReader map(reader_, field,
                  {"name", "backend", "step", "dir", "enable", "endstop", "homing", "steps_per_rev",
                   "microsteps", "gear_ratio", "units", "mm_per_rev", "max_speed", "max_accel",
                   "soft_limits", "sim"});
    if (!map.isMap())
        return std::nullopt;
    MotorConfig motor;
    if (const Field *f = map.require("name"))
        motor.name = readUniqueName(*f, motors_, "motor").value_or("");
    if (const std::optional<Backend> b = readBackend(map)) {
        motor.backend = *b;
        backend.emplace(*map.find("backend"));
    }

    const std::string who = motor.name.empty() ? field.name : "motor '" + motor.name + "'";
    const bool real = motor.backend == Backend::Real;
    const auto line = [&](const Field *f, const char *key) -> std::optional<LineConfig> {
        return f ? readLine(*f, who + " " + key, lines, real, std::string(key) == "enable")
                 : std::nullopt;
    };
    motor.step = line(map.require("step"), "step").value_or(LineConfig{});
    motor.dir = line(map.require("dir"), "dir").value_or(LineConfig{});
    motor.enable = line(map.require("enable"), "enable").value_or(LineConfig{});
    motor.endstop = line(map.find("endstop"), "endstop");

    const std::size_t errorsBeforeSteps = reader_.errorCount();
    if (const Field *f = map.find("steps_per_rev"))
        if (auto v = config::readInteger(reader_, *f, kStepsPerRev))
            motor.stepsPerRev = static_cast<unsigned>(*v);
    if (const Field *f = map.find("microsteps"))
        if (auto v = config::readInteger(reader_, *f)) {
            if (std::find(kMicrosteps.begin(), kMicrosteps.end(), *v) != kMicrosteps.end())
                motor.microsteps = static_cast<unsigned>(*v);
            else
                reader_.error(*f, "'microsteps' must be one of 1, 2, 4, 8, 16, 32, 64, 128, "
                                  "256, got " +
                                      std::to_string(*v));
        }
    if (const Field *f = map.find("gear_ratio"))
        motor.gearRatio = config::readNumber(reader_, *f, kPositive).value_or(motor.gearRatio);
    if (const Field *f = map.find("units"))
        if (auto choice = config::readChoice(reader_, *f, {"deg", "mm"}))
            motor.units = *choice == 0 ? Units::Degrees : Units::Millimetres;
    const Field *mmPerRev = map.find("mm_per_rev");
    if (mmPerRev) {
        if (motor.units != Units::Millimetres)
            reader_.error(mmPerRev->keyMark, "'mm_per_rev' applies only to units: mm");
        else
            motor.mmPerRev = config::readNumber(reader_, *mmPerRev, kPositive).value_or(0);
    } else if (motor.units == Units::Millimetres) {
        reader_.error(map.find("units")->keyMark, "units: mm needs 'mm_per_rev'");
    }
    if (const Field *f = map.require("max_speed")) {
        motor.maxSpeed = config::readNumber(reader_, *f, kPositive).value_or(0);
        /* The rule of every move (MotorGroup): max_speed must be a step rate the STEP pulse can
         * drive. Checked only if the step pulse and the steps per unit are known to be right. */
        if (stepPulseKnown_ && reader_.errorCount() == errorsBeforeSteps) {
            const std::string tooFast = speedBeyondStepPulse(motor, motor.maxSpeed, rig_.stepPulse);
            if (!tooFast.empty())
                reader_.error(*f, "'max_speed' " + tooFast);
            /* A real motor: as fast as the node's wake-up latency keeps a step within the
             * executor's abort bound. */
            const double rate = motor.maxSpeed * motor.stepsPerUnit();
            const double limit = maxRealtimeStepRate(rig_.maxLatenessPeriods, nodeLatencyUs_);
            if (tooFast.empty() && real && rate > limit)
                reader_.error(*f, "'max_speed' " + number(motor.maxSpeed) + " is " + number(rate) +
                                      " steps/s, above the " + number(limit) +
                                      " steps/s this node allows: a step waking " +
                                      number(nodeLatencyUs_) +
                                      " us late (the node's wakeup_latency_us" +
                                      (nodeLatencyMeasured_ ? "" : ", unmeasured: the default") +
                                      ") must stay within max_lateness_periods (" +
                                      number(rig_.maxLatenessPeriods) + ") of its step period");
        }
    }
    if (const Field *f = map.require("max_accel"))
        motor.maxAccel = config::readNumber(reader_, *f, kPositive).value_or(0);
    const Field *homing = map.find("homing");
    if (homing)
        readHoming(*homing, motor);
    const std::size_t errorsBeforeLimits = reader_.errorCount();
    if (const Field *f = map.find("soft_limits"))
        readSoftLimits(*f, motor);
    /* The rule of `lockstep home` (MotorGroup), for every motor it can home: one with an
     * endstop. Not checked if the soft limits were reported. */
    if (motor.endstop && reader_.errorCount() == errorsBeforeLimits && !homingTravel(motor))
        reader_.error(homing ? homing->keyMark : map.find("endstop")->keyMark,
                      "homing a motor in mm needs both soft_limits, 'min' and 'max', to bound "
                      "its travel");
    if (const Field *f = map.find("sim")) {
        MapReader sim(reader_, *f, {"endstop_at"});
        if (const Field *at = sim.find("endstop_at")) {
            motor.simEndstopAt = config::readNumber(reader_, *at).value_or(0);
            if (!motor.endstop)
                reader_.error(at->keyMark, "'endstop_at' needs an 'endstop' line");
        }
    }
    return motor;
}

void RigLoader::readHoming(const Field &field, MotorConfig &motor)
{
    MapReader map(reader_, field, {"direction", "speed"});
    if (map.isMap() && !motor.endstop)
        reader_.error(field.keyMark, "'homing' needs an 'endstop' line");
    if (const Field *f = map.find("direction"))
        if (auto v = config::readInteger(reader_, *f)) {
            if (*v == -1 || *v == 1)
                motor.homingDirection = static_cast<int>(*v);
            else
                reader_.error(*f, "'direction' must be -1 or 1, got " + std::to_string(*v));
        }
    if (const Field *f = map.find("speed")) {
        const Range range = motor.maxSpeed > 0 ? Range{0, motor.maxSpeed, true} : kPositive;
        motor.homingSpeed = config::readNumber(reader_, *f, range).value_or(0);
    }
}

void RigLoader::readSoftLimits(const Field &field, MotorConfig &motor)
{
    MapReader map(reader_, field, {"min", "max"});
    if (const Field *f = map.find("min"))
        motor.softMin = config::readNumber(reader_, *f);
    const Field *max = map.find("max");
    if (max)
        motor.softMax = config::readNumber(reader_, *max);
    if (motor.softMin && motor.softMax && *motor.softMin >= *motor.softMax)
        reader_.error(*max, "soft limit 'max' must be greater than 'min'");
}

std::optional<CameraConfig> RigLoader::readCamera(const Field &field, Names &cameraNames)
{
    MapReader map(reader_, field, {"name", "backend", "id", "index", "rotation", "sim"});
    if (!map.isMap())
        return std::nullopt;
    CameraConfig camera;
    if (const Field *f = map.require("name"))
        camera.name = readUniqueName(*f, cameraNames, "camera").value_or("");
    camera.backend = readBackend(map).value_or(Backend::Sim);
    const Field *id = map.find("id");
    const Field *index = map.find("index");
    if (id && index)
        reader_.error(index->keyMark, "give either 'id' or 'index', not both");
    if (id)
        camera.id = config::readString(reader_, *id).value_or("");
    else if (index)
        camera.index = static_cast<int>(config::readInteger(reader_, *index, {0, 255}).value_or(0));
    else
        camera.index = 0;
    if (const Field *f = map.find("rotation"))
        if (auto v = config::readInteger(reader_, *f)) {
            if (*v == 0 || *v == 180)
                camera.rotation = static_cast<int>(*v);
            else
                reader_.error(*f, "'rotation' must be 0 or 180, got " + std::to_string(*v));
        }
    if (const Field *f = map.find("sim")) {
        MapReader sim(reader_, *f, {"azimuth", "motor", "sensor", "control_latency"});
        if (const Field *az = sim.find("azimuth"))
            camera.simAzimuth = config::readNumber(reader_, *az, {-360, 360}).value_or(0);
        if (const Field *motor = sim.find("motor"))
            if (auto name = config::readName(reader_, *motor)) {
                camera.simMotor = *name;
                simCameraMotors_.emplace_back(*name, *motor);
            }
        if (const Field *sensor = sim.find("sensor"))
            if (auto choice =
                    config::readChoice(reader_, *sensor, {"generic", "imx219", "imx477", "imx708"}))
                camera.simSensor = static_cast<SimSensor>(*choice);
        if (const Field *latency = sim.find("control_latency"))
            if (auto frames = config::readInteger(reader_, *latency, {1, 30}))
                camera.simControlLatency = unsigned(*frames);
    }
    return camera;
}

} // namespace

RigConfig loadRig(const std::string &path)
{
    return RigLoader(path).load();
}

} // namespace lockstep
