#include "scan/plan_queries.h"

#include <algorithm>
#include <set>

namespace lockstep
{

std::map<std::string, double> commandedAt(const ScanPlan &plan, size_t k)
{
    std::map<std::string, double> state;
    for (size_t i = 0; i <= k && i < plan.positions.size(); ++i)
        for (const auto &[motor, target] : plan.positions[i].targets)
            state[motor] = target;
    return state;
}

std::vector<const CameraConfig *> scanCameras(const ScanPlan &plan, const NodeConfig &node)
{
    std::vector<const CameraConfig *> cameras;
    for (const CameraConfig &camera : node.cameras) {
        const std::string id = node.hostname + "/" + camera.name;
        if (plan.cameras.empty() ||
            std::find(plan.cameras.begin(), plan.cameras.end(), id) != plan.cameras.end())
            cameras.push_back(&camera);
    }
    return cameras;
}

std::vector<std::string> scanMotors(const ScanPlan &plan, const NodeConfig &node)
{
    std::set<std::string> motors;
    for (const Position &position : plan.positions)
        for (const auto &[motor, target] : position.targets)
            if (node.findMotor(motor))
                motors.insert(motor);
    return {motors.begin(), motors.end()};
}

size_t expectedFramesPerPosition(const ScanPlan &plan, const RigConfig &rig)
{
    size_t cameras = 0;
    for (const NodeConfig &node : rig.nodes)
        cameras += scanCameras(plan, node).size();
    return cameras * plan.framesPerPosition * plan.capture.formats.size();
}

} // namespace lockstep
