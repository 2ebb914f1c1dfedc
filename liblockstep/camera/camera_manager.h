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

/* Throws RunError if the manager cannot start. Inside a Slurm job, where this libcamera has
 * Raspberry Pi's sync controls, the manager starts with the job's own copy of the Raspberry Pi
 * tuning files (LIBCAMERA_IPA_CONFIG_PATH), whose rpi.sync names the job's multicast group
 * (rpi_sync.h); the copy is removed once the IPAs have read it. */
std::shared_ptr<libcamera::CameraManager> sharedCameraManager();

/* Whether the running manager's Raspberry Pi IPAs were given the job's multicast group. */
bool rpiSyncGroupPrepared();

/* "N cameras: id, id" (or "0 cameras") for error messages. */
std::string describeCameras(const libcamera::CameraManager &manager);

} // namespace lockstep
