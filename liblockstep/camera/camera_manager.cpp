#include "camera/camera_manager.h"

#include <cstring>
#include <mutex>

#include <libcamera/camera.h>
#include <libcamera/camera_manager.h>

#include "util/errors.h"

namespace lockstep
{

std::shared_ptr<libcamera::CameraManager> sharedCameraManager()
{
    static std::mutex mutex;
    static std::weak_ptr<libcamera::CameraManager> shared;

    const std::lock_guard lock(mutex);
    if (auto manager = shared.lock())
        return manager;
    auto manager = std::make_unique<libcamera::CameraManager>();
    if (const int rc = manager->start(); rc != 0)
        throw RunError(std::string("cannot start libcamera's camera manager: ") +
                       std::strerror(-rc));
    std::shared_ptr<libcamera::CameraManager> owned(manager.release(),
                                                    [](libcamera::CameraManager *m) {
                                                        m->stop();
                                                        delete m;
                                                    });
    shared = owned;
    return owned;
}

std::string describeCameras(const libcamera::CameraManager &manager)
{
    const auto cameras = manager.cameras();
    std::string text =
        std::to_string(cameras.size()) + (cameras.size() == 1 ? " camera" : " cameras");
    for (size_t i = 0; i < cameras.size(); ++i)
        text +=
            (i == 0 ? ": " : ", ") + std::string("[") + std::to_string(i) + "] " + cameras[i]->id();
    return text;
}

} // namespace lockstep
