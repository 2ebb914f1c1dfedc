/* The value of --lockstep=DEVICES: "all", "cameras", "motors" or device names, comma
 * separated, and which devices of one node it selects. */
#pragma once

#include <string>
#include <vector>

#include "config/rig.h"

namespace lockstep::spank
{

struct DeviceRequest {
    bool allMotors = false;
    bool allCameras = false;
    std::vector<std::string> names;
};

/* Bounds on the value: it comes from any user and ends up in root's log. */
constexpr size_t kMaxRequestBytes = 1024;
constexpr size_t kMaxRequestTokens = 64;

/* Checks the syntax only (no rig file needed): usable on the submit host and again on each node
 * (the value reaches slurmstepd through the job's environment). At most kMaxRequestBytes and
 * kMaxRequestTokens names; control characters and non-ASCII bytes are refused; a bad value is
 * quoted in the error only as escaped, truncated text. Throws InputError. */
DeviceRequest parseDeviceRequest(const std::string &value);

enum class DeviceKind { Motor, Camera };

struct Device {
    DeviceKind kind;
    std::string name;
    const MotorConfig *motor = nullptr;   /* set for motors */
    const CameraConfig *camera = nullptr; /* set for cameras */
};

/* The devices of `node` the request selects. A named device on another node of the rig is
 * not this node's business; a name that is nowhere in the rig throws InputError. */
std::vector<Device> selectDevices(const DeviceRequest &request, const RigConfig &rig,
                                  const NodeConfig &node);

} // namespace lockstep::spank
