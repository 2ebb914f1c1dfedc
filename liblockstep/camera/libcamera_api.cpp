#include "camera/libcamera_api.h"

#include "camera/libcamera_compat.h"

namespace lockstep
{

LibcameraApi libcameraApi()
{
    LibcameraApi api;
    api.version = std::to_string(LIBCAMERA_VERSION_MAJOR) + "." +
                  std::to_string(LIBCAMERA_VERSION_MINOR) + "." +
                  std::to_string(LIBCAMERA_VERSION_PATCH);
    if (LOCKSTEP_LIBCAMERA_HAS_ORIENTATION)
        api.features.emplace_back("orientation");
    if (LOCKSTEP_LIBCAMERA_HAS_EXPOSURE_TIME_MODE)
        api.features.emplace_back("exposure_time_mode");
    if (LOCKSTEP_LIBCAMERA_HAS_FRAME_WALL_CLOCK)
        api.features.emplace_back("frame_wall_clock");
    if (LOCKSTEP_LIBCAMERA_HAS_RPI_VENDOR_CONTROLS)
        api.features.emplace_back("rpi_vendor_controls");
    if (LOCKSTEP_RPI_SYNC)
        api.features.emplace_back("rpi_sync");
    return api;
}

std::string describeLibcameraApi()
{
    const LibcameraApi api = libcameraApi();
    std::string features;
    for (const std::string &feature : api.features)
        features += (features.empty() ? "" : ", ") + feature;
    return "libcamera " + api.version + " (" + (features.empty() ? "no optional API" : features) +
           ")";
}

} // namespace lockstep
