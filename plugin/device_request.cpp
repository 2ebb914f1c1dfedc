#include "device_request.h"

#include <algorithm>

#include "util/errors.h"

namespace lockstep::spank
{

namespace
{

bool validName(const std::string &name)
{
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.';
    });
}

const CameraConfig *findCameraAnywhere(const RigConfig &rig, const std::string &name)
{
    for (const NodeConfig &node : rig.nodes)
        if (const CameraConfig *camera = node.findCamera(name))
            return camera;
    return nullptr;
}

std::string badToken(const std::string &value, const std::string &token)
{
    std::string message = "--lockstep=" + value;
    message += ": '" + token;
    message += "' is not a device name (letters, digits, _ - . only) nor all, cameras, motors";
    return message;
}

} // namespace

DeviceRequest parseDeviceRequest(const std::string &value)
{
    if (value.empty())
        throw InputError(
            "--lockstep needs a value: all, cameras, motors or device names, comma separated");
    DeviceRequest request;
    std::string::size_type start = 0;
    while (start <= value.size()) {
        const auto comma = std::min(value.find(',', start), value.size());
        const std::string token = value.substr(start, comma - start);
        if (token == "all")
            request.allMotors = request.allCameras = true;
        else if (token == "motors")
            request.allMotors = true;
        else if (token == "cameras")
            request.allCameras = true;
        else if (validName(token))
            request.names.push_back(token);
        else
            throw InputError(badToken(value, token));
        start = comma + 1;
    }
    return request;
}

std::vector<Device> selectDevices(const DeviceRequest &request, const RigConfig &rig,
                                  const NodeConfig &node)
{
    for (const std::string &name : request.names)
        if (!rig.findMotor(name) && !findCameraAnywhere(rig, name))
            throw InputError("--lockstep: device '" + name + "' is not in rig file " + rig.path);

    const auto named = [&](const std::string &name) {
        return std::find(request.names.begin(), request.names.end(), name) != request.names.end();
    };
    std::vector<Device> devices;
    for (const MotorConfig &motor : node.motors)
        if (request.allMotors || named(motor.name))
            devices.push_back({DeviceKind::Motor, motor.name, &motor, nullptr});
    for (const CameraConfig &camera : node.cameras)
        if (request.allCameras || named(camera.name))
            devices.push_back({DeviceKind::Camera, camera.name, nullptr, &camera});
    return devices;
}

} // namespace lockstep::spank
