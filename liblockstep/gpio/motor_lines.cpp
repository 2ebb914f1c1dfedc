#include "gpio/motor_lines.h"

namespace lockstep
{

MotorLines motorLinesOf(const MotorConfig &motor)
{
    return MotorLines{motor.step.offset,   motor.step.activeLow, motor.dir.offset,
                      motor.dir.activeLow, motor.enable.offset,  motor.enable.activeLow};
}

} // namespace lockstep
