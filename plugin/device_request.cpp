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

constexpr size_t kShownBytes = 64;

/* A user's text as it may appear in root's log and on the terminal: printable ASCII, every
 * other byte as \xNN, at most kShownBytes of it. */
std::string shown(const std::string &text)
{
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < text.size() && i < kShownBytes; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        }
    }
    if (text.size() > kShownBytes)
        out += "... (" + std::to_string(text.size()) + " bytes)";
    return out;
}

std::string badToken(const std::string &value, const std::string &token)
{
    std::string message = "--lockstep=" + shown(value);
    message += ": '" + shown(token);
    message += "' is not a device name (letters, digits, _ - . only) nor all, cameras, motors";
    return message;
}

} // namespace

DeviceRequest parseDeviceRequest(const std::string &value)
{
    if (value.empty())
        throw InputError(
            "--lockstep needs a value: all, cameras, motors or device names, comma separated");
    if (value.size() > kMaxRequestBytes)
        throw InputError("--lockstep: the value is " + std::to_string(value.size()) +
                         " bytes long, more than " + std::to_string(kMaxRequestBytes));
    for (const char c : value)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
            throw InputError("--lockstep=" + shown(value) +
                             ": control characters and non-ASCII bytes are not allowed");
    if (std::count(value.begin(), value.end(), ',') + 1 > long(kMaxRequestTokens))
        throw InputError("--lockstep=" + shown(value) + ": more than " +
                         std::to_string(kMaxRequestTokens) + " devices");
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
