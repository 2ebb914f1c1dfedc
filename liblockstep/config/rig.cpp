#include "config/rig.h"

#include <cmath>
#include <sstream>

#include "util/chrono_clocks.h"

namespace lockstep
{

namespace
{

/* Output travel of one output revolution: 360 degrees, or mm_per_rev millimetres. */
double unitsPerRev(const MotorConfig &motor)
{
    return motor.units == Units::Degrees ? 360.0 : motor.mmPerRev;
}

double microstepsPerRev(const MotorConfig &motor)
{
    return static_cast<double>(motor.stepsPerRev) * motor.microsteps * motor.gearRatio;
}

std::string format(double v)
{
    std::ostringstream out;
    out << v;
    return out.str();
}

} // namespace

double MotorConfig::stepsPerUnit() const
{
    return microstepsPerRev(*this) / unitsPerRev(*this);
}

int64_t MotorConfig::stepForPosition(double units) const
{
    /* Multiply before dividing: 10 deg at 3200 steps/rev is 32000/360, not 10 * 8.888... */
    return std::llround(units * microstepsPerRev(*this) / unitsPerRev(*this));
}

double MotorConfig::positionForStep(int64_t step) const
{
    return static_cast<double>(step) * unitsPerRev(*this) / microstepsPerRev(*this);
}

double maxRealtimeStepRate(double periods, double latencyUs)
{
    return periods * 1e6 / latencyUs;
}

double maxStepRate(Nanoseconds stepPulse)
{
    return 1.0 / (2 * FloatSeconds(stepPulse).count());
}

std::string speedBeyondStepPulse(const MotorConfig &motor, double speed, Nanoseconds stepPulse)
{
    const double rate = speed * motor.stepsPerUnit();
    const double maxRate = maxStepRate(stepPulse);
    if (rate <= maxRate)
        return "";
    return format(speed) + (motor.units == Units::Degrees ? " deg/s" : " mm/s") + " is " +
           format(rate) + " steps/s, above the " + format(maxRate) + " steps/s that a " +
           format(std::chrono::duration<double, std::micro>(stepPulse).count()) +
           " us step pulse allows";
}

double homingSpeed(const MotorConfig &motor)
{
    return motor.homingSpeed > 0 ? motor.homingSpeed : motor.maxSpeed / 4;
}

std::optional<double> homingTravel(const MotorConfig &motor)
{
    if (motor.softMin && motor.softMax)
        return *motor.softMax - *motor.softMin;
    if (motor.units == Units::Degrees)
        return 360.0; /* a turntable meets its endstop within a turn */
    return std::nullopt;
}

std::vector<std::size_t> mixedBackends(const std::vector<const MotorConfig *> &motors)
{
    std::vector<std::size_t> mixed;
    for (std::size_t i = 0; i < motors.size(); ++i)
        if (motors[i]->backend != motors.front()->backend)
            mixed.push_back(i);
    return mixed;
}

const MotorConfig *NodeConfig::findMotor(const std::string &motorName) const
{
    for (const MotorConfig &motor : motors)
        if (motor.name == motorName)
            return &motor;
    return nullptr;
}

const CameraConfig *NodeConfig::findCamera(const std::string &cameraName) const
{
    for (const CameraConfig &camera : cameras)
        if (camera.name == cameraName)
            return &camera;
    return nullptr;
}

const NodeConfig *RigConfig::findNode(const std::string &host) const
{
    for (const NodeConfig &node : nodes)
        if (node.hostname == host)
            return &node;
    return nullptr;
}

const NodeConfig *RigConfig::nodeOfMotor(const std::string &motor) const
{
    for (const NodeConfig &node : nodes)
        if (node.findMotor(motor))
            return &node;
    return nullptr;
}

const MotorConfig *RigConfig::findMotor(const std::string &motor) const
{
    const NodeConfig *node = nodeOfMotor(motor);
    return node ? node->findMotor(motor) : nullptr;
}

} // namespace lockstep
