/* The simulated GPIO backend. It behaves like a chip: lines are requested exclusively, levels
 * live in a small memory-mapped state file so that other processes (the SPANK plugin, tests)
 * can read and drive them, every edge is recorded with its time, stepper drivers attached to
 * STEP/DIR lines count steps, an endstop input triggers at a configured step, and each
 * motor's position over time is published to a track file (gpio/motor_track.h).
 *
 * The state file <simDir>/gpio/<node>.lines has a fixed layout of 336 bytes (host order):
 * uint32 magic 0x4c53474c, uint32 version 1, uint32 line count 64, uint32 reserved, then
 * uint8 level[64] (physical levels) at offset 16 and int32 owner[64] (holder's pid, 0 = free)
 * at offset 80; gpio/shared_lines.h has the details. A line whose holder is no longer alive can
 * be requested again, as after a crash; releasing leaves the levels, as the kernel does.
 *
 * set() and get() are safe to call from several threads (the executor, and release() from a
 * signal watcher). set() neither allocates nor makes a system call in the common case: edges
 * go to preallocated memory and track records to a lock-free ring that a background thread
 * writes out every 2 ms. */
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/rig.h"
#include "gpio/gpio_lines.h"
#include "gpio/motor_lines.h"
#include "util/chrono_clocks.h"

namespace lockstep
{

struct Edge {
    MonotonicInstant time;
    unsigned offset;
    uint8_t level;
};

/* A stepper driver wired to simulated lines. */
struct SimDriver {
    std::string motor; /* name, used for the track file */
    MotorLines lines;
    std::optional<unsigned> endstop; /* input line */
    bool endstopActiveLow = false;
    /* The endstop is active at and beyond this step in the homing direction. */
    int64_t endstopStep = 0;
    int homingDirection = -1;
    int64_t initialStep = 0;
};

/* Paths in the shared simulation directory. */
std::string simLinesPath(const std::string &simDir, const std::string &node);
std::string simTrackPath(const std::string &simDir, const std::string &motor);

class SimGpio : public GpioLines
{
public:
    /* Creates/opens <simDir>/gpio/<node>.lines. Throws RunError if a requested line is already
     * held by a live process (as the kernel would with EBUSY). */
    SimGpio(const std::string &simDir, const std::string &node, std::vector<SimDriver> drivers,
            const LineRequest &request);
    ~SimGpio() override;

    /* The lines of one call change in the order given, all with the same edge time: a driver
     * sees DIR and ENABLE as they are when its STEP edge is applied. */
    void set(std::span<const unsigned> offsets, std::span<const uint8_t> levels) override;
    /* An endstop input reads the driver's position; other lines read the state file. */
    uint8_t get(unsigned offset) override;

    /* Every edge since the request, in order (recorded into preallocated memory). */
    std::vector<Edge> edges() const;
    /* A driver's step count: moves only on STEP active edges while ENABLE is active. */
    int64_t driverStep(const std::string &motor) const;
    /* Flushes pending track records to the track files (also done periodically by a
     * background thread, and on destruction). */
    void flushTracks();

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

/* Reads the physical level of a line from a node's shared state file (for tests and the
 * plugin); -1 if the file or line does not exist or the file is not a state file. Both
 * functions are safe for root in a directory jobs write to (sim_line_access.cpp): no symlink
 * followed below simDir, nothing but a regular state file opened, never blocking. */
int readSimLine(const std::string &simDir, const std::string &node, unsigned offset);
/* Drives a line in a node's shared state file, whoever holds it (the plugin's safe state);
 * throws RunError saying why it could not. */
void writeSimLine(const std::string &simDir, const std::string &node, unsigned offset,
                  uint8_t level);

} // namespace lockstep
