#include <boost/test/unit_test.hpp>

#include <string>

#include "camera/camera.h"
#include "util/errors.h"

using namespace lockstep;

namespace
{

bool saysNotFound(const RunError &error)
{
    BOOST_TEST_MESSAGE("libcamera backend: " << error.what());
    const std::string text = error.what();
    return text.find("no camera") != std::string::npos &&
           text.find("libcamera sees") != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_CASE(absent_real_camera_is_a_clear_run_error)
{
    BOOST_TEST_MESSAGE(
        "Debian 12's libcamera 0.0.3 sees no camera here (no V4L2 or media devices): tested here "
        "are the camera manager's start/stop and the camera-not-found path. Streaming, formats, "
        "buffers, timestamps and captures are tested against libcamera's virtual pipeline (0.4 "
        "and 0.7) by scripts/libcamera-virtual.sh; real frame timing and exposure only with the "
        "strict simulated sensor.");
    RigConfig rig;
    CameraConfig camera;
    camera.name = "front";
    camera.backend = Backend::Real;
    camera.id = "/base/soc/i2c0mux/i2c@1/imx477@1a-not-connected";
    BOOST_CHECK_EXCEPTION(openCamera(rig, camera), RunError, saysNotFound);

    camera.id.clear();
    camera.index = 99;
    BOOST_CHECK_EXCEPTION(openCamera(rig, camera), RunError, saysNotFound);
    /* The shared camera manager was stopped and can start again. */
    BOOST_CHECK_EXCEPTION(openCamera(rig, camera), RunError, saysNotFound);
}
