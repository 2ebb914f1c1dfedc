/* Questions about a plan against its rig that the scan, verify and report all ask. */
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/plan.h"
#include "config/rig.h"

namespace lockstep
{

/* Commanded absolute position of every motor the plan has named up to position k. */
std::map<std::string, double> commandedAt(const ScanPlan &plan, size_t k);

/* Cameras of a node that take part in the plan. */
std::vector<const CameraConfig *> scanCameras(const ScanPlan &plan, const NodeConfig &node);

/* Motors of a node that some position of the plan moves. */
std::vector<std::string> scanMotors(const ScanPlan &plan, const NodeConfig &node);

/* Frame files every position yields across the rig (one per format of each frame). */
size_t expectedFramesPerPosition(const ScanPlan &plan, const RigConfig &rig);

} // namespace lockstep
