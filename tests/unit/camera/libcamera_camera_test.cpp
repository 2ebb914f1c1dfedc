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
        "Not testable without camera hardware: streaming, FrameDurationLimits alignment, "
        "SensorTimestamp conversion, dmabuf mapping and stride handling, rotation. "
        "Tested here: camera manager start/stop and the camera-not-found path.");
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
