#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <set>

#include "config/output_pattern.h"
#include "config/plan.h"
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

constexpr Range kSweepCount{1, 100'000};
constexpr Range kSettleMs{0, 600'000};
constexpr Range kFramesPerPosition{1, 1000};
constexpr Range kCaptureMarginMs{1, 60'000};
constexpr Range kMaxSkewUs{1, 10'000'000};
constexpr Range kExposureUs{1, 60'000'000};
constexpr Range kGain{1, 64};
constexpr Range kImageSide{16, 16'384};
constexpr Range kJpegQuality{1, 100};

std::string formatTarget(double value)
{
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%g", value);
    return buf;
}

/* Reads a plan file against a loaded rig, collecting every problem in the Reader. Without a rig
 * (nullptr: the rig file has problems of its own) only what does not depend on the rig is
 * checked. */
class PlanLoader
{
public:
    PlanLoader(const std::string &path, const RigConfig *rig) : reader_(path), rig_(rig)
    {
        plan_.path = path;
    }

    ScanPlan load();

private:
    void readPositions(const Field &field);
    void readSweep(const Field &field);
    void readPositionList(const Field &field);
    /* The rig's motor named by a key, or nullptr after reporting (or without a rig). */
    const MotorConfig *motorOf(const Field &key);
    /* An absolute target within the motor's soft limits. */
    std::optional<double> readTarget(const Field &field, const MotorConfig &motor);
    void readMotion(const Field &field);
    void readCapture(const Field &field);
    void readFormats(const MapReader &map);
    void readCameras(const Field &field);
    /* The pattern's field if it is valid and taken. */
    std::optional<Field> readOutput(const Field &field);
    /* Distinct frames must not share a file: expand the pattern for two positions, two frames
     * and every selected camera and look for a collision. Reported at `where`. */
    void checkOutputCollisions(const Field &where);

    Reader reader_;
    const RigConfig *rig_;
    ScanPlan plan_;
};

ScanPlan PlanLoader::load()
{
    const std::optional<Field> root = reader_.load("plan file");
    if (!root) {
        reader_.throwIfFailed();
        return plan_;
    }
    MapReader map(reader_, *root,
                  {"scan", "rig", "positions", "motion", "settle_ms", "frames_per_position",
                   "capture", "capture_margin_ms", "max_skew_us", "cameras", "return_home",
                   "output"});
    if (const Field *f = map.require("scan")) {
        plan_.name = config::readName(reader_, *f).value_or("");
        if (plan_.name == "..")
            reader_.error(*f, "'scan' must not be '..'");
    }
    if (const Field *f = map.find("rig"))
        config::readString(reader_, *f);
    if (const Field *f = map.require("positions"))
        readPositions(*f);
    if (const Field *f = map.find("motion"))
        readMotion(*f);
    if (const Field *f = map.find("settle_ms"))
        plan_.settle = Milliseconds(
            config::readInteger(reader_, *f, kSettleMs).value_or(plan_.settle.count()));
    const Field *frames = map.find("frames_per_position");
    if (frames)
        plan_.framesPerPosition = static_cast<unsigned>(
            config::readInteger(reader_, *frames, kFramesPerPosition).value_or(1));
    if (const Field *f = map.find("capture"))
        readCapture(*f);
    if (const Field *f = map.find("capture_margin_ms"))
        plan_.captureMargin = Milliseconds(config::readInteger(reader_, *f, kCaptureMarginMs)
                                               .value_or(plan_.captureMargin.count()));
    if (const Field *f = map.find("max_skew_us"))
        plan_.maxSkew = Microseconds(
            config::readInteger(reader_, *f, kMaxSkewUs).value_or(plan_.maxSkew.count()));
    if (const Field *f = map.find("cameras"))
        readCameras(*f);
    if (const Field *f = map.find("return_home"))
        plan_.returnHome = config::readBool(reader_, *f).value_or(false);
    const Field *output = map.find("output");
    const std::optional<Field> pattern = output ? readOutput(*output) : std::nullopt;
    /* The default pattern tells positions and cameras apart, not frames. */
    if (rig_ && (pattern || frames))
        checkOutputCollisions(pattern ? *pattern : *frames);
    reader_.throwIfFailed();
    return std::move(plan_);
}

void PlanLoader::readPositions(const Field &field)
{
    if (field.value.isMap()) {
        MapReader map(reader_, field, {"sweep"});
        if (const Field *f = map.require("sweep"))
            readSweep(*f);
    } else if (field.value.isSequence()) {
        readPositionList(field);
    } else {
        reader_.error(field, "'positions' must be a mapping with 'sweep' or a list of positions");
    }
}

void PlanLoader::readSweep(const Field &field)
{
    MapReader map(reader_, field, {"motor", "from", "to", "count"});
    const Field *motorField = map.require("motor");
    const Field *fromField = map.require("from");
    const Field *toField = map.require("to");
    const Field *countField = map.require("count");
    const MotorConfig *motor = nullptr;
    if (motorField)
        if (auto name = config::readName(reader_, *motorField))
            motor = motorOf(Field{*name, motorField->mark(), motorField->value});
    const auto target = [&](const Field *f) -> std::optional<double> {
        if (!f)
            return std::nullopt;
        return motor ? readTarget(*f, *motor) : config::readNumber(reader_, *f);
    };
    const auto from = target(fromField);
    const auto to = target(toField);
    int64_t count = 0; /* 0: missing or invalid, already reported */
    if (countField)
        count = config::readInteger(reader_, *countField, kSweepCount).value_or(0);
    if (!motor || !from || !to || count == 0)
        return;
    for (int64_t i = 0; i < count; ++i) {
        const double at = count == 1 ? *from
                                     : *from + static_cast<double>(i) * (*to - *from) /
                                                   static_cast<double>(count - 1);
        Position &position = plan_.positions.emplace_back();
        position.targets.emplace(motor->name, at);
    }
}

void PlanLoader::readPositionList(const Field &field)
{
    const auto entries = config::sequenceEntries(reader_, field);
    plan_.positions.reserve(entries.size());
    std::vector<Field> targets; /* one position's, reused */
    for (const Field &entry : entries) {
        if (entry.value.isMap() && entry.value.size() == 0)
            reader_.error(entry, "'" + entry.name +
                                     "' is empty: a position gives at least one motor a target");
        Position position;
        config::mapEntries(reader_, entry, targets);
        for (const Field &target : targets) {
            if (!rig_) {
                config::readNumber(reader_, target);
            } else if (const MotorConfig *motor = motorOf(target)) {
                if (auto at = readTarget(target, *motor))
                    position.targets.emplace(motor->name, *at);
            }
        }
        plan_.positions.push_back(std::move(position));
    }
}

const MotorConfig *PlanLoader::motorOf(const Field &key)
{
    if (!rig_)
        return nullptr;
    const MotorConfig *motor = rig_->findMotor(key.name);
    if (!motor) {
        std::vector<std::string> known;
        for (const NodeConfig &n : rig_->nodes)
            for (const MotorConfig &m : n.motors)
                known.push_back(m.name);
        reader_.error(key.keyMark,
                      "unknown motor '" + config::printable(key.name) + "'" +
                          config::didYouMean(key.name, known) + ": rig '" + rig_->name + "' has " +
                          (known.empty() ? "no motors" : "motors " + config::joinNames(known)));
    }
    return motor;
}

std::optional<double> PlanLoader::readTarget(const Field &field, const MotorConfig &motor)
{
    const auto at = config::readNumber(reader_, field);
    if (!at)
        return std::nullopt;
    /* The step counters are int64_t and targets are converted through double: beyond 2^53
     * steps neither holds the target exactly. */
    const double reach = 9007199254740992.0 / motor.stepsPerUnit();
    if (std::abs(*at) > reach) {
        reader_.error(field, "target " + config::printable(field.value.scalar()) +
                                 " is beyond what motor '" + motor.name + "' can count to (" +
                                 formatTarget(reach) + " either way)");
        return std::nullopt;
    }
    if ((motor.softMin && *at < *motor.softMin) || (motor.softMax && *at > *motor.softMax)) {
        const std::string limits = (motor.softMin ? formatTarget(*motor.softMin) : "-inf") +
                                   " .. " + (motor.softMax ? formatTarget(*motor.softMax) : "inf");
        reader_.error(field, "target " + std::string(field.value.scalar()) +
                                 " is outside the soft limits of motor '" + motor.name + "' (" +
                                 limits + ")");
        return std::nullopt;
    }
    return at;
}

void PlanLoader::readMotion(const Field &field)
{
    for (const Field &entry : config::mapEntries(reader_, field)) {
        const MotorConfig *motor = motorOf(entry);
        MapReader map(reader_, entry, {"max_speed", "max_accel"});
        if (!motor) {
            if (!rig_) /* the values can still be checked on their own */
                for (const char *key : {"max_speed", "max_accel"})
                    if (const Field *f = map.find(key))
                        config::readNumber(reader_, *f, kPositive);
            continue;
        }
        MotionOverride limits;
        const auto limit = [&](const char *key, double rigMax) -> std::optional<double> {
            const Field *f = map.find(key);
            const auto value = f ? config::readNumber(reader_, *f, kPositive) : std::nullopt;
            if (value && *value > rigMax) {
                reader_.error(*f, "'" + std::string(key) + "' " + std::string(f->value.scalar()) +
                                      " exceeds the " + key + " of motor '" + motor->name + "' (" +
                                      formatTarget(rigMax) + ")");
                return std::nullopt;
            }
            return value;
        };
        limits.maxSpeed = limit("max_speed", motor->maxSpeed);
        limits.maxAccel = limit("max_accel", motor->maxAccel);
        plan_.motion.emplace(motor->name, limits);
    }
}

void PlanLoader::readCapture(const Field &field)
{
    MapReader map(
        reader_, field,
        {"exposure_us", "gain", "width", "height", "format", "formats", "quality", "sync"});
    CaptureSettings &capture = plan_.capture;
    if (const Field *f = map.find("exposure_us"))
        capture.exposure = Microseconds(config::readInteger(reader_, *f, kExposureUs).value_or(0));
    if (const Field *f = map.find("gain"))
        capture.gain = config::readNumber(reader_, *f, kGain).value_or(capture.gain);
    if (const Field *f = map.find("width"))
        capture.width = static_cast<unsigned>(
            config::readInteger(reader_, *f, kImageSide).value_or(capture.width));
    if (const Field *f = map.find("height"))
        capture.height = static_cast<unsigned>(
            config::readInteger(reader_, *f, kImageSide).value_or(capture.height));
    readFormats(map);
    if (const Field *f = map.find("quality")) {
        if (!capture.writes(ImageFormat::Jpeg))
            reader_.error(f->keyMark, "'quality' applies only to format: jpeg");
        else
            capture.jpegQuality = static_cast<int>(
                config::readInteger(reader_, *f, kJpegQuality).value_or(capture.jpegQuality));
    }
    if (const Field *f = map.find("sync"))
        if (auto choice = config::readChoice(reader_, *f, {"phase_locked", "open_loop"}))
            capture.sync = *choice == 0 ? CaptureSync::PhaseLocked : CaptureSync::OpenLoop;
}

/* `format: jpeg` or `formats: [jpeg, dng]`: one of the two keys, each format at most once. */
void PlanLoader::readFormats(const MapReader &map)
{
    static constexpr std::array kFormats{ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Dng};
    const auto choose = [&](const Field &f) -> std::optional<ImageFormat> {
        if (auto choice = config::readChoice(reader_, f, {"jpeg", "png", "dng"}))
            return kFormats[*choice];
        return std::nullopt;
    };
    const Field *single = map.find("format");
    const Field *list = map.find("formats");
    if (single && list) {
        reader_.error(list->keyMark, "give 'format' or 'formats', not both");
        return;
    }
    if (single) {
        if (auto format = choose(*single))
            plan_.capture.formats = {*format};
        return;
    }
    if (!list)
        return;
    std::vector<ImageFormat> formats;
    for (const Field &entry : config::sequenceEntries(reader_, *list)) {
        const auto format = choose(entry);
        if (!format)
            continue;
        if (std::find(formats.begin(), formats.end(), *format) != formats.end()) {
            reader_.error(entry, "format '" + std::string(fileExtension(*format) + 1) +
                                     "' is listed twice");
            continue;
        }
        formats.push_back(*format);
    }
    if (!formats.empty())
        plan_.capture.formats = std::move(formats);
}

void PlanLoader::readCameras(const Field &field)
{
    for (const Field &entry : config::sequenceEntries(reader_, field)) {
        const auto name = config::readString(reader_, entry);
        if (!name)
            continue;
        const std::size_t slash = name->find('/');
        if (slash == std::string::npos || name->find('/', slash + 1) != std::string::npos) {
            reader_.error(entry, "camera '" + *name + "' must be written as host/camera");
            continue;
        }
        const std::string host = name->substr(0, slash);
        const NodeConfig *node = rig_ ? rig_->findNode(host) : nullptr;
        if (rig_ && !node) {
            std::vector<std::string> hosts;
            for (const NodeConfig &n : rig_->nodes)
                hosts.push_back(n.hostname);
            reader_.error(entry, "unknown camera '" + *name + "': rig '" + rig_->name +
                                     "' has no host '" + host + "'" +
                                     config::didYouMean(host, hosts) +
                                     " (hosts: " + config::joinNames(hosts) + ")");
            continue;
        }
        if (node && !node->findCamera(name->substr(slash + 1))) {
            std::vector<std::string> cameras;
            for (const CameraConfig &c : node->cameras)
                cameras.push_back(c.name);
            reader_.error(entry, "unknown camera '" + *name + "': host '" + host +
                                     "' has no camera '" + name->substr(slash + 1) + "'" +
                                     config::didYouMean(name->substr(slash + 1), cameras) +
                                     " (cameras: " +
                                     (cameras.empty() ? "none" : config::joinNames(cameras)) + ")");
            continue;
        }
        if (std::find(plan_.cameras.begin(), plan_.cameras.end(), *name) != plan_.cameras.end()) {
            reader_.error(entry, "camera '" + *name + "' is listed twice");
            continue;
        }
        plan_.cameras.push_back(*name);
    }
}

std::optional<Field> PlanLoader::readOutput(const Field &field)
{
    MapReader map(reader_, field, {"pattern"});
    const Field *f = map.find("pattern");
    if (!f)
        return std::nullopt;
    const auto pattern = config::readString(reader_, *f);
    if (!pattern)
        return std::nullopt;
    const std::vector<std::string> problems = config::outputPatternProblems(*pattern);
    for (const std::string &problem : problems)
        reader_.error(*f, problem);
    if (!problems.empty())
        return std::nullopt;
    plan_.outputPattern = *pattern;
    return *f;
}

void PlanLoader::checkOutputCollisions(const Field &where)
{
    std::vector<std::pair<std::string, std::string>> cameras;
    for (const NodeConfig &node : rig_->nodes)
        for (const CameraConfig &camera : node.cameras) {
            const std::string name = node.hostname + "/" + camera.name;
            if (plan_.cameras.empty() ||
                std::find(plan_.cameras.begin(), plan_.cameras.end(), name) != plan_.cameras.end())
                cameras.emplace_back(node.hostname, camera.name);
        }
    const unsigned positions = std::min<std::size_t>(plan_.positions.size(), 2);
    const unsigned frames = std::min(plan_.framesPerPosition, 2U);
    std::set<std::string> paths;
    for (unsigned position = 0; position < positions; ++position)
        for (unsigned frame = 0; frame < frames; ++frame)
            for (const auto &[node, camera] : cameras) {
                std::string path = framePath(plan_.outputPattern, position, frame, node, camera,
                                             plan_.capture.formats.front());
                if (!paths.insert(path).second) {
                    reader_.error(where, "output pattern '" + plan_.outputPattern +
                                             "' gives several frames the same file '" + path +
                                             "' (tell them apart with {position}, {frame}, "
                                             "{node}, {camera})");
                    return;
                }
            }
}

} // namespace

ScanPlan loadPlan(const std::string &path, const RigConfig &rig)
{
    return PlanLoader(path, &rig).load();
}

LoadedConfig loadPlanWithRig(const std::string &planPath, const std::string &rigPath)
{
    LoadedConfig config;
    std::vector<Diagnostic> diagnostics;
    bool rigValid = true;
    try {
        config.rig = loadRig(rigPath);
    } catch (const ConfigError &e) {
        diagnostics = e.diagnostics();
        rigValid = false;
    }
    try {
        config.plan = PlanLoader(planPath, rigValid ? &config.rig : nullptr).load();
    } catch (const ConfigError &e) {
        diagnostics.insert(diagnostics.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
    if (!diagnostics.empty())
        throw ConfigError(std::move(diagnostics));
    return config;
}

LoadedConfig loadPlanWithItsRig(const std::string &planPath)
{
    /* Where the plan names its rig. Problems with the plan itself, this key's included, are
     * the PlanLoader's to report below, together with all the others. */
    Reader probe(planPath);
    std::optional<Field> rigField;
    const std::optional<Field> root = probe.load("plan file");
    if (!root)
        probe.throwIfFailed(); /* unreadable or not YAML: nothing else can be said */
    if (root->value.isMap())
        for (Field &entry : config::mapEntries(probe, *root))
            if (entry.name == "rig" && !rigField)
                rigField.emplace(std::move(entry));

    LoadedConfig config;
    std::vector<Diagnostic> diagnostics;
    bool rigValid = false;
    const auto at = [&](const config::Mark &mark, const std::string &message) {
        diagnostics.push_back(
            {planPath, mark.line + 1, mark.column + 1, config::printable(message, 4096)});
    };
    if (!rigField) {
        at(root->value.isMap() ? root->mark() : config::Mark(),
           "the plan names no rig: add `rig: RIG_FILE` (relative to the plan) or give --rig RIG");
    } else if (Reader check(planPath); config::readString(check, *rigField)) {
        namespace fs = std::filesystem;
        const std::string rigPath =
            (fs::path(planPath).parent_path() / rigField->value.scalar()).lexically_normal();
        try {
            config.rig = loadRig(rigPath);
            rigValid = true;
        } catch (const ConfigError &e) {
            for (const Diagnostic &d : e.diagnostics()) {
                /* A rig file that cannot be opened has no position of its own: the plan's
                 * `rig:` line is where the user fixes it. */
                if (d.line <= 0)
                    at(rigField->mark(), "rig file '" + rigPath + "' " + d.message);
                else
                    diagnostics.push_back(d);
            }
        }
    }
    try {
        config.plan = PlanLoader(planPath, rigValid ? &config.rig : nullptr).load();
    } catch (const ConfigError &e) {
        diagnostics.insert(diagnostics.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
    if (!diagnostics.empty())
        throw ConfigError(std::move(diagnostics));
    return config;
}

std::optional<std::string> planRigPath(const std::string &planPath)
{
    Reader reader(planPath);
    std::optional<std::string> rig;
    const std::optional<Field> root = reader.load("plan file");
    if (!root)
        reader.throwIfFailed(); /* unreadable or not YAML */
    /* Problems elsewhere in the plan are loadPlan's to report, together with all the others;
     * only a `rig:` that cannot be read stops here. */
    for (const Field &entry : config::mapEntries(reader, *root)) {
        if (entry.name != "rig")
            continue;
        rig = config::readString(reader, entry);
        if (!rig)
            reader.throwIfFailed();
    }
    if (!rig)
        return std::nullopt;
    namespace fs = std::filesystem;
    return (fs::path(planPath).parent_path() / *rig).lexically_normal().string();
}

} // namespace lockstep
