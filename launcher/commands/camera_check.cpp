#include "commands/camera_check.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "camera/camera.h"
#include "camera/frame_grid.h"

namespace lockstep
{

namespace
{

using std::chrono::nanoseconds;

std::string ms(nanoseconds t)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.3f ms", static_cast<double>(t.count()) / 1e6);
    return text;
}

constexpr int kSettleFrames = 3;
constexpr int kTestFrames = 30;

} // namespace

FramePeriods framePeriods(const std::vector<nanoseconds> &timestamps, nanoseconds tolerance)
{
    FramePeriods out;
    if (timestamps.size() < 2)
        return out;
    std::vector<nanoseconds> periods;
    for (size_t i = 1; i < timestamps.size(); ++i)
        periods.push_back(timestamps[i] - timestamps[i - 1]);
    out.periods = periods.size();
    out.min = *std::min_element(periods.begin(), periods.end());
    out.max = *std::max_element(periods.begin(), periods.end());
    std::vector<nanoseconds> sorted = periods;
    std::sort(sorted.begin(), sorted.end());
    out.median = sorted[sorted.size() / 2];
    out.outliers =
        static_cast<size_t>(std::count_if(periods.begin(), periods.end(), [&](nanoseconds p) {
            return p - out.median > tolerance || out.median - p > tolerance;
        }));
    return out;
}

std::vector<Finding> checkCameras(const RigConfig &rig, const NodeConfig &node)
{
    std::vector<Finding> out;
    if (node.cameras.empty()) {
        out.push_back({Verdict::Skip, "camera", "no cameras on this node"});
        return out;
    }
    for (const CameraConfig &config : node.cameras) {
        const std::string area = "camera " + config.name;
        if (config.backend == Backend::Real)
            out.push_back(describeLibcameraCamera(config));
        else
            out.push_back({Verdict::Pass, area, "simulated sensor (backend: sim)"});
        if (out.back().verdict == Verdict::Fail)
            continue;
        try {
            std::unique_ptr<Camera> camera = openCamera(rig, config);
            const CaptureSettings settings;
            const SensorMode mode = camera->configure(settings);
            out.push_back({Verdict::Pass, area,
                           "configured " + std::to_string(settings.width) + "x" +
                               std::to_string(settings.height) + ": frame duration " +
                               ms(nanoseconds(mode.minFrameDuration)) + " to " +
                               ms(nanoseconds(mode.maxFrameDuration)) + ", readout " +
                               ms(nanoseconds(mode.readout)) +
                               (mode.lineTime != nanoseconds::zero()
                                    ? ", line " + ms(nanoseconds(mode.lineTime))
                                    : "")});
            const std::array<SensorMode, 1> modes{mode};
            const FrameGrid grid = chooseFrameGrid(modes, settings.exposure);
            camera->start(grid, LockOptions{});
            /* The first frames after start may come before the lock holds: not the stream's
             * periods. */
            for (int i = 0; i < kSettleFrames; ++i)
                camera->captureNext();
            std::vector<nanoseconds> stamps;
            stamps.reserve(kTestFrames);
            for (int i = 0; i < kTestFrames; ++i)
                stamps.emplace_back(camera->captureNext().sensorTimestamp.time_since_epoch());
            const LockStats lock = camera->takeLockStats();
            camera->stop();
            /* A frame a tenth of a period off is a dropped, repeated or retimed frame. */
            const FramePeriods periods = framePeriods(stamps, nanoseconds(grid.period / 10));
            const std::string text =
                std::to_string(kTestFrames) + " frames on a " + ms(nanoseconds(grid.period)) +
                " grid: period median " + ms(periods.median) + " (min " + ms(periods.min) +
                ", max " + ms(periods.max) + "), " + std::to_string(periods.outliers) +
                " off by >10%; control latency " +
                (lock.latencyFrames ? std::to_string(*lock.latencyFrames) + " frames"
                                    : std::string("not measured")) +
                "; lock error max " + ms(nanoseconds(lock.maxAbs));
            out.push_back({periods.outliers == 0 ? Verdict::Pass : Verdict::Warn, area, text});
        } catch (const std::exception &e) {
            out.push_back({Verdict::Fail, area, e.what()});
        }
    }
    return out;
}

} // namespace lockstep
