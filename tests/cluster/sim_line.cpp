/* The cluster tests' view of a simulated motor's ENABLE line:
 *   cluster_sim_line RIG NODE MOTOR          prints ENABLE's physical level (-1: never driven)
 *   cluster_sim_line RIG NODE MOTOR --hold   opens the motor's lines like a job does, asserts
 *                                            ENABLE, prints "enabled" and waits to be killed
 *   cluster_sim_line RIG NODE MOTOR --kill PID
 *                                            sends SIGKILL to PID and prints how many ms later
 *                                            ENABLE read inactive (-1: not within 5 s); a
 *                                            shell loop around the plain form would measure
 *                                            its own start-up (tens of ms) instead */
#include <csignal>
#include <cstdio>
#include <exception>
#include <string>
#include <unistd.h>

#include "config/rig.h"
#include "gpio/open_gpio.h"
#include "gpio/sim_gpio.h"
#include "util/chrono_clocks.h"

namespace
{

int killAndTime(const lockstep::RigConfig &rig, const std::string &nodeName,
                const lockstep::MotorConfig &motor, pid_t pid)
{
    const int inactive = motor.enable.activeLow ? 1 : 0;
    const lockstep::MonotonicInstant killed = lockstep::MonotonicClock::now();
    if (kill(pid, SIGKILL) != 0) {
        std::perror("cluster_sim_line: kill");
        return 1;
    }
    for (lockstep::MonotonicInstant now = killed; now < killed + std::chrono::seconds(5);
         now = lockstep::MonotonicClock::now()) {
        if (lockstep::readSimLine(rig.simDir, nodeName, motor.enable.offset) == inactive) {
            std::printf("%.1f\n", lockstep::FloatMillis(now - killed).count());
            return 0;
        }
        usleep(100);
    }
    std::printf("-1\n");
    return 0;
}

int run(const std::string &rigPath, const std::string &nodeName, const std::string &motorName,
        bool hold, pid_t killPid)
{
    const lockstep::RigConfig rig = lockstep::loadRig(rigPath);
    const lockstep::NodeConfig *node = rig.findNode(nodeName);
    const lockstep::MotorConfig *motor = node ? node->findMotor(motorName) : nullptr;
    if (!motor) {
        std::fprintf(stderr, "cluster_sim_line: no motor %s on %s\n", motorName.c_str(),
                     nodeName.c_str());
        return 2;
    }
    if (killPid > 0)
        return killAndTime(rig, nodeName, *motor, killPid);
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
    const bool killing = argc == 6 && std::string(argv[4]) == "--kill";
    if (argc != 4 && !hold && !killing) {
        std::fprintf(stderr, "usage: %s RIG NODE MOTOR [--hold | --kill PID]\n", argv[0]);
        return 2;
    }
    try {
        return run(argv[1], argv[2], argv[3], hold, killing ? pid_t(std::stol(argv[5])) : 0);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "cluster_sim_line: %s\n", e.what());
        return 1;
    }
}
