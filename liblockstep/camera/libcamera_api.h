/* The libcamera API this build was compiled against (libcamera_compat.h): its version and the
 * optional parts lockstep uses, for `lockstep selftest` and the tests that check the detection
 * against the library itself. */
#pragma once

#include <string>
#include <vector>

namespace lockstep
{

struct LibcameraApi {
    std::string version; /* of the headers, e.g. "0.3.2" */
    /* Each one compiled in: "orientation", "exposure_time_mode", "frame_wall_clock",
     * "rpi_vendor_controls", "rpi_sync". */
    std::vector<std::string> features;
};

LibcameraApi libcameraApi();

/* "libcamera 0.3.2 (orientation)", "libcamera 0.0.3 (no optional API)". */
std::string describeLibcameraApi();

} // namespace lockstep
