/* libcamera allows one CameraManager per process: every real camera shares this one. It is
 * started by the first user and stopped when the last user lets go, after its cameras. */
#pragma once

#include <memory>
#include <string>

namespace libcamera
{
class CameraManager;
}

namespace lockstep
{

/* Throws RunError if the manager cannot start. */
std::shared_ptr<libcamera::CameraManager> sharedCameraManager();

/* "N cameras: id, id" (or "0 cameras") for error messages. */
std::string describeCameras(const libcamera::CameraManager &manager);

} // namespace lockstep
