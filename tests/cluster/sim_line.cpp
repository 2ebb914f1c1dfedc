/* The cluster tests' view of a simulated motor's ENABLE line:
 *   cluster_sim_line RIG NODE MOTOR          prints ENABLE's physical level (-1: never driven)
 *   cluster_sim_line RIG NODE MOTOR --hold   opens the motor's lines like a job does, asserts
 *                                            ENABLE, prints "enabled" and waits to be killed */
#include <cstdio>
#include <exception>
#include <string>
#include <unistd.h>

#include "config/rig.h"
#include "gpio/open_gpio.h"
#include "gpio/sim_gpio.h"

namespace
{

int run(const std::string &rigPath, const std::string &nodeName, const std::string &motorName,
        bool hold)
{
    const lockstep::RigConfig rig = lockstep::loadRig(rigPath);
    const lockstep::NodeConfig *node = rig.findNode(nodeName);
    const lockstep::MotorConfig *motor = node ? node->findMotor(motorName) : nullptr;
    if (!motor) {
        std::fprintf(stderr, "cluster_sim_line: no motor %s on %s\n", motorName.c_str(),
                     nodeName.c_str());
        return 2;
    }
    if (!hold) {
        std::printf("%d\n", lockstep::readSimLine(rig.simDir, nodeName, motor->enable.offset));
        return 0;
    }
    auto lines = lockstep::openMotorLines(rig, *node, {motorName}, {0}, "cluster-test");
    const unsigned offset = motor->enable.offset;
    const uint8_t active = motor->enable.activeLow ? 0 : 1;
    lines->set({&offset, 1}, {&active, 1});
    std::printf("enabled\n");
    std::fflush(stdout);
    for (;;)
        pause();
}

} // namespace

int main(int argc, char **argv)
{
    const bool hold = argc == 5 && std::string(argv[4]) == "--hold";
    if (argc != 4 && !hold) {
        std::fprintf(stderr, "usage: %s RIG NODE MOTOR [--hold]\n", argv[0]);
        return 2;
    }
    try {
        return run(argv[1], argv[2], argv[3], hold);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "cluster_sim_line: %s\n", e.what());
        return 1;
    }
}
