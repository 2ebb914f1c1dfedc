/* The scan plan: which positions to visit, how to move, settle and capture. */
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/motor_targets.h"
#include "config/rig.h"

namespace lockstep
{

/* What a frame is written as: a processed picture (JPEG, PNG) and/or the sensor's raw Bayer
 * mosaic as DNG. */
enum class ImageFormat { Jpeg, Png, Dng };

/* ".jpg", ".png", ".dng" */
const char *fileExtension(ImageFormat format);
/* The format a frame file is written in, by its extension; nullopt for any other file. */
std::optional<ImageFormat> formatOfFile(const std::string &path);

/* How cameras keep capture instants: held on a shared frame grid (the default), or the scheme
 * lockstep used before, retiming a free-running sensor once per capture with an assumed control
 * latency (kept to be measured against: it misses instants on sensors slower to respond). */
enum class CaptureSync { PhaseLocked, OpenLoop };

struct CaptureSettings {
    Microseconds exposure = Milliseconds(10); /* exposure_us */
    double gain = 1.0;
    unsigned width = 640;
    unsigned height = 480;
    /* `format: F` or `formats: [F, ...]`: each frame is written once per format, in file
     * order, under the same name with the format's extension. */
    std::vector<ImageFormat> formats{ImageFormat::Jpeg};
    int jpegQuality = 90;
    CaptureSync sync = CaptureSync::PhaseLocked;

    bool writes(ImageFormat format) const;
};

/* Per-motor overrides of the rig's limits for this plan; must not exceed the rig's. */
struct MotionOverride {
    std::optional<double> maxSpeed;
    std::optional<double> maxAccel;
};

/* One stop of the scan: absolute targets (units) for some motors; others stay where they are. */
struct Position {
    MotorTargets targets;
};

struct ScanPlan {
    std::string path;
    std::string name;                /* scan name: the output folder DIR/<name>/ */
    std::vector<Position> positions; /* a sweep is expanded here: from + i*(to-from)/(count-1) */
    std::map<std::string, MotionOverride> motion;
    Milliseconds settle = Milliseconds(200); /* settle_ms */
    unsigned framesPerPosition = 1;
    CaptureSettings capture;
    /* capture_margin_ms: how far in the future the first capture instant is scheduled */
    Milliseconds captureMargin = Milliseconds(50);
    /* The largest capture skew between the cameras of one position that `lockstep verify`
     * accepts: what this scan needs (a rig with PTP can ask for far less). */
    Microseconds maxSkew = Milliseconds(5); /* max_skew_us */
    /* Which cameras take part, as "host/camera"; empty = every camera in the rig. Camera names
     * are unique per node, motor names across the rig. */
    std::vector<std::string> cameras;
    bool returnHome = false; /* move back to the first position at the end */
    /* Frame path below DIR/<name>/, without extension. Placeholders: {position} (4 digits),
     * {frame} (2 digits, index within the position), {node}, {camera}. */
    std::string outputPattern = "pos-{position}/{node}-{camera}";
};

/* Expands a (validated) output pattern and appends the format's extension. */
std::string framePath(const std::string &pattern, unsigned position, unsigned frame,
                      const std::string &node, const std::string &camera, ImageFormat format);

/* Loads a plan and validates it, also against the rig (motor and camera names, soft limits,
 * speeds over the motor's maximum). Throws ConfigError with every problem found. */
ScanPlan loadPlan(const std::string &path, const RigConfig &rig);

/* A plan with the rig it was checked against. */
struct LoadedConfig {
    RigConfig rig;
    ScanPlan plan;
};

/* Loads a rig file and a plan and reports the problems of both at once: a ConfigError with the
 * rig file's diagnostics, then the plan's, each file in file order. A rig with problems (even one
 * that cannot be parsed) does not hide the plan's: the plan is then checked for everything that
 * does not depend on the rig (keys, types, ranges, camera and pattern syntax), and against the
 * rig's motors and cameras once the rig is valid. */
LoadedConfig loadPlanWithRig(const std::string &planPath, const std::string &rigPath);

/* The same with the rig the plan names (`rig:`, relative to the plan). A missing `rig:` and a
 * rig file that cannot be opened are reported at the plan's position, beside every other
 * problem of the plan. */
LoadedConfig loadPlanWithItsRig(const std::string &planPath);

} // namespace lockstep

namespace lockstep
{

/* The rig file a plan names (`rig:` key), resolved against the plan's directory, if any. Used
 * when the command line gives no --rig. Throws ConfigError if the plan cannot be read. */
std::optional<std::string> planRigPath(const std::string &planPath);

} // namespace lockstep
