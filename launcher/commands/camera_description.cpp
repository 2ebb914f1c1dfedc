/* What libcamera says of a camera before lockstep configures it. */
#include <libcamera/libcamera.h>

#include "camera/camera_manager.h"
#include "camera/libcamera_api.h"
#include "commands/camera_check.h"

namespace lockstep
{

namespace
{

namespace lc = libcamera;

std::string limits(const lc::ControlInfoMap &controls, const lc::ControlId &id,
                   const std::string &unit)
{
    const auto info = controls.find(&id);
    if (info == controls.end())
        return "unknown";
    return info->second.min().toString() + " to " + info->second.max().toString() + " " + unit;
}

} // namespace

Finding describeLibcameraCamera(const CameraConfig &camera)
{
    const std::string area = "camera " + camera.name;
    try {
        const std::shared_ptr<lc::CameraManager> manager = sharedCameraManager();
        std::shared_ptr<lc::Camera> found;
        if (!camera.id.empty())
            found = manager->get(camera.id);
        else if (camera.index >= 0 && static_cast<size_t>(camera.index) < manager->cameras().size())
            found = manager->cameras()[static_cast<size_t>(camera.index)];
        if (!found)
            return {Verdict::Fail, area, "not found; libcamera sees " + describeCameras(*manager)};
        const auto model = found->properties().get(lc::properties::Model);
        std::string modes;
        if (auto config = found->generateConfiguration({lc::StreamRole::Raw});
            config && !config->empty()) {
            const lc::StreamFormats &formats = config->at(0).formats();
            for (const lc::PixelFormat &format : formats.pixelformats())
                for (const lc::Size &size : formats.sizes(format))
                    if (modes.find(size.toString()) == std::string::npos)
                        modes += (modes.empty() ? "" : " ") + size.toString();
        }
        return {Verdict::Pass, area,
                std::string(model ? *model : "model unknown") + " (" + found->id() +
                    "): raw modes " + (modes.empty() ? "unknown" : modes) + "; exposure " +
                    limits(found->controls(), lc::controls::ExposureTime, "us") +
                    "; frame duration " +
                    limits(found->controls(), lc::controls::FrameDurationLimits, "us") +
                    "; lockstep built against " + describeLibcameraApi()};
    } catch (const std::exception &e) {
        return {Verdict::Fail, area, e.what()};
    }
}

} // namespace lockstep
