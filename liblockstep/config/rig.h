/* The rig file: every node of the rig, its GPIO chip, motors and cameras. */
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/chrono_clocks.h"

namespace lockstep
{

enum class Backend { Real, Sim };
enum class Units { Degrees, Millimetres };

/* The pull a line gets from the GPIO chip. It stays set in the chip when the line is released
 * (lockstep exits): on a Pi 0-4 a released line goes back to being an input, held only by its
 * pull. AsIs leaves whatever the firmware or an earlier user set. */
enum class LineBias { AsIs, Disabled, PullUp, PullDown };

/* A GPIO line by BCM number (== line offset on the Pi header chip), its polarity and its bias. */
struct LineConfig {
    unsigned offset = 0;
    bool activeLow = false;
    LineBias bias = LineBias::AsIs;
};

/* The GPIO lines of the Raspberry Pi 40-pin header: GPIO 0-27 on every model (the chips have
 * more lines, 54-58, wired to the board's own devices). Real motors may use these only; the
 * simulated backend accepts 0-63. */
constexpr unsigned kHeaderGpioLines = 28;

struct MotorConfig {
    std::string name;
    Backend backend = Backend::Sim;
    LineConfig step;
    LineConfig dir;
    LineConfig enable;
    std::optional<LineConfig> endstop;
    int homingDirection = -1;   /* -1 or +1: the way `lockstep home` moves to find the endstop */
    double homingSpeed = 0;     /* units/s; 0 = a quarter of maxSpeed */
    unsigned stepsPerRev = 200; /* full steps of the motor */
    unsigned microsteps = 16;
    double gearRatio = 1.0; /* motor revolutions per output revolution */
    Units units = Units::Degrees;
    double mmPerRev = 0;           /* output travel per output revolution, for Units::Millimetres */
    double maxSpeed = 0;           /* units/s */
    double maxAccel = 0;           /* units/s^2 */
    std::optional<double> softMin; /* units */
    std::optional<double> softMax;
    /* sim only: where the simulated endstop triggers, in units */
    double simEndstopAt = 0;

    /* Microsteps per unit of output travel (deg or mm). */
    double stepsPerUnit() const;
    /* The absolute step for an absolute target, rounded from the target itself (never from
     * accumulated increments). */
    int64_t stepForPosition(double units) const;
    double positionForStep(int64_t step) const;
};

/* The simulated sensor's timing model: a generic 30 fps sensor, or a Raspberry Pi camera's
 * full-resolution mode (Camera Module v2, HQ, Camera Module 3). */
enum class SimSensor { Generic, Imx219, Imx477, Imx708 };

struct CameraConfig {
    std::string name;
    Backend backend = Backend::Sim;
    std::string id;   /* libcamera id; empty when index is used */
    int index = -1;   /* libcamera index; -1 when id is used */
    int rotation = 0; /* 0 or 180 */
    /* sim only: where the camera stands around the turntable, degrees */
    double simAzimuth = 0;
    std::string simMotor; /* the motor (any node) whose published position turns the scene */
    SimSensor simSensor = SimSensor::Generic;
    /* Frames between a control and the frame it changes; unset: the sensor model's own. lockstep
     * is never told it: the camera measures it. */
    std::optional<unsigned> simControlLatency;
};

struct NodeConfig {
    std::string hostname;
    /* Header GPIO chip: a label such as pinctrl-bcm2711, or a /dev/gpiochipN path.
     * Empty = auto-detect by the known Pi labels. */
    std::string gpioChip;
    std::vector<MotorConfig> motors;
    std::vector<CameraConfig> cameras;
    /* The node's worst wake-up latency of a real-time thread (cyclictest's max, or lockstep
     * selftest's), microseconds. Unmeasured: kDefaultWakeupLatencyUs. Bounds the step rate of
     * its real motors (maxRealtimeStepRate). */
    double wakeupLatencyUs = 0;

    const MotorConfig *findMotor(const std::string &name) const;
    const CameraConfig *findCamera(const std::string &name) const;
};

struct RigConfig {
    std::string path; /* the file it was loaded from */
    std::string name;
    /* Where simulated backends share state (GPIO line values, motor tracks). Relative paths are
     * resolved against the rig file's directory. */
    std::string simDir;
    /* Executor settings shared by every node. */
    Nanoseconds stepPulse = Microseconds(2);     /* STEP high time */
    Nanoseconds dirSetup = Microseconds(5);      /* DIR change before the next STEP edge */
    Nanoseconds enableSetup = Microseconds(100); /* ENABLE asserted before the first STEP */
    Nanoseconds maxLateness = Microseconds(500); /* an edge later than this stops the move */
    /* A step later than this many of its planned step periods stops the move (real motors). */
    double maxLatenessPeriods = 2.0;
    int executorPriority = 49; /* SCHED_FIFO, below PREEMPT_RT's interrupt threads (50) */
    std::vector<NodeConfig> nodes;

    const NodeConfig *findNode(const std::string &hostname) const;
    /* The node that has a motor of this name, or nullptr. Motor names are unique in a rig. */
    const NodeConfig *nodeOfMotor(const std::string &motor) const;
    const MotorConfig *findMotor(const std::string &motor) const;
};

/* The fastest step rate, steps/s, with this STEP pulse: the step executor keeps STEP inactive at
 * least as long as active, so a step period is at least two pulses. */
double maxStepRate(Nanoseconds stepPulse);

/* Published worst wake-up latencies of a SCHED_FIFO thread on a stock kernel: Pi 3B+ 275-390
 * us, Pi 4 97-301 us (PREEMPT_RT: 89-109 and 60-93 us). The conservative default for a node
 * that has not been measured. */
constexpr double kDefaultWakeupLatencyUs = 400;

/* The fastest step rate, steps/s, whose step period keeps a step that wakes `latencyUs` late
 * within `periods` step periods: beyond it the executor's abort bound is broken by the node's
 * own wake-up latency. */
double maxRealtimeStepRate(double periods, double latencyUs);

/* Why the motor cannot move at `speed` (units/s) with this STEP pulse ("S deg/s is R steps/s,
 * above the M steps/s that a P us step pulse allows"), or "" if it can. The rig loader checks
 * max_speed with it, MotorGroup every move. */
std::string speedBeyondStepPulse(const MotorConfig &motor, double speed, Nanoseconds stepPulse);

/* How far `lockstep home` moves looking for the endstop (units, before its 10 % margin): the
 * soft-limit span, or one turn for deg without both limits. nullopt for mm without both soft
 * limits: homing has no bound and is refused, so the rig loader reports such a motor with an
 * endstop. */
std::optional<double> homingTravel(const MotorConfig &motor);
/* The speed `lockstep home` approaches the endstop at (units/s): homing_speed, or a quarter of
 * max_speed when it is 0 (slow enough to stop on the switch without overshooting it). */
double homingSpeed(const MotorConfig &motor);

/* A real GPIO chip and the simulated lines cannot be opened as one: motors whose lines are
 * opened together must share a backend. The indices of the motors whose backend differs from
 * the first one's
 * (none: they can be opened together). openMotorLines applies it to the motors it opens, the rig
 * loader to all the motors of each node, since a command may drive them all at once. Cameras
 * are opened one by one and may mix backends. */
std::vector<std::size_t> mixedBackends(const std::vector<const MotorConfig *> &motors);

/* Loads and validates a rig file. Throws ConfigError with every problem found. */
RigConfig loadRig(const std::string &path);

} // namespace lockstep
