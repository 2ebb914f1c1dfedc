#include "camera/camera.h"
#include "camera/libcamera_camera.h"
#include "camera/sim_camera.h"

namespace lockstep
{

std::unique_ptr<Camera> openCamera(const RigConfig &rig, const CameraConfig &camera)
{
    if (camera.backend == Backend::Sim)
        return std::make_unique<SimCamera>(rig, camera);
    return std::make_unique<LibcameraCamera>(camera);
}

} // namespace lockstep
