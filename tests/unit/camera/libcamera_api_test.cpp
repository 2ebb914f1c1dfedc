/* The compile-time detection of libcamera_compat.h against the libcamera the test is linked with:
 * each optional control lockstep uses is compiled in exactly when the library knows it. Run on
 * Debian 12's 0.0.3 (amd64 and arm64), bookworm-backports' 0.3 (scripts/backports-api.sh) and,
 * through the camera library, trixie's 0.4 and 0.7 (scripts/libcamera-virtual.sh). */
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>

#include <libcamera/camera_manager.h>
#include <libcamera/control_ids.h>

#include "camera/libcamera_api.h"
#include "camera/libcamera_compat.h"

using namespace lockstep;

namespace
{

/* Whether the linked library's control registry has a control of this name (vendor controls
 * may carry their namespace in the name). */
bool libraryKnows(const std::string &name)
{
    return std::any_of(libcamera::controls::controls.begin(), libcamera::controls::controls.end(),
                       [&](const auto &entry) {
                           const std::string &known = entry.second->name();
                           return known == name ||
                                  (known.size() > name.size() + 2 && known.ends_with("::" + name));
                       });
}

bool compiledIn(const LibcameraApi &api, const std::string &feature)
{
    return std::find(api.features.begin(), api.features.end(), feature) != api.features.end();
}

} // namespace

BOOST_AUTO_TEST_CASE(headers_and_library_are_the_same_version)
{
    const LibcameraApi api = libcameraApi();
    BOOST_TEST_MESSAGE("built against " << describeLibcameraApi() << "; the library says "
                                        << libcamera::CameraManager::version());
    const std::string running = libcamera::CameraManager::version();
    BOOST_TEST(running.find(api.version) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(optional_controls_compiled_in_exactly_when_the_library_has_them)
{
    const LibcameraApi api = libcameraApi();
    BOOST_TEST(compiledIn(api, "exposure_time_mode") == libraryKnows("ExposureTimeMode"));
    BOOST_TEST(compiledIn(api, "exposure_time_mode") == libraryKnows("AnalogueGainMode"));
    BOOST_TEST(compiledIn(api, "frame_wall_clock") == libraryKnows("FrameWallClock"));
    BOOST_TEST(compiledIn(api, "rpi_sync") == libraryKnows("SyncMode"));
    BOOST_TEST(compiledIn(api, "rpi_sync") == libraryKnows("SyncFrames"));
    /* Sync is one of Raspberry Pi's vendor controls. */
    BOOST_TEST((!compiledIn(api, "rpi_sync") || compiledIn(api, "rpi_vendor_controls")));
}

#if LOCKSTEP_LIBCAMERA_HAS_RPI_VENDOR_CONTROLS
/* Where the macro says so, the namespace exists (a build error otherwise). */
namespace rpi_controls = libcamera::controls::rpi;
#endif
