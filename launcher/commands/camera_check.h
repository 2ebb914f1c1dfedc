/* The camera part of `lockstep selftest`: for each camera of the node, what it is (model, raw
 * modes, exposure and frame-duration limits, from libcamera), what its mode allows as lockstep
 * configures it, and a short test stream on a frame grid: frame-period statistics, how many
 * frames a control takes to act (measured by the grid lock), and the lock error. */
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "commands/selftest_report.h"
#include "config/rig.h"

namespace lockstep
{

/* Frame periods from consecutive sensor timestamps: median, min, max, and how many differ from
 * the median by more than `tolerance` (a dropped or stretched frame). */
struct FramePeriods {
    size_t periods = 0;
    std::chrono::nanoseconds median{0};
    std::chrono::nanoseconds min{0};
    std::chrono::nanoseconds max{0};
    size_t outliers = 0;
};
FramePeriods framePeriods(const std::vector<std::chrono::nanoseconds> &timestamps,
                          std::chrono::nanoseconds tolerance);

/* Model, raw modes, ExposureTime and FrameDurationLimits of a libcamera camera, one line. */
Finding describeLibcameraCamera(const CameraConfig &camera);

std::vector<Finding> checkCameras(const RigConfig &rig, const NodeConfig &node);

} // namespace lockstep
