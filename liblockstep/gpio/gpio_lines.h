/* GPIO lines requested for the life of a job, with one interface and two backends: libgpiod
 * (real) and a simulation that records every edge. Levels are PHYSICAL (polarity is applied
 * by the caller, see gpio/motor_lines.h). */
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "config/rig.h"

namespace lockstep
{

struct LineRequest {
    std::string consumer = "lockstep";
    std::vector<unsigned> outputs;
    std::vector<uint8_t> initialLevels; /* one per output */
    std::vector<unsigned> inputs;
    /* The pull of each output and input (LineBias, config/rig.h); empty: as-is for all. An
     * output's matters once it is released: on a Pi 0-4 it is then an input held by its pull. */
    std::vector<LineBias> outputBias;
    std::vector<LineBias> inputBias;
};

class GpioLines
{
public:
    virtual ~GpioLines() = default;

    /* Sets several requested output lines in one call where the API allows (libgpiod
     * set_values). Throws RunError on failure. Must be callable from the step executor's
     * real-time thread: no allocation, no blocking I/O. Both backends serialise concurrent
     * callers (the executor and a thread releasing the motors) with a spin lock. */
    virtual void set(std::span<const unsigned> offsets, std::span<const uint8_t> levels) = 0;
    /* Reads the physical level of a requested line. */
    virtual uint8_t get(unsigned offset) = 0;
};

/* Finds the Raspberry Pi header GPIO chip: `spec` is a /dev path or a chip label; empty tries
 * pinctrl-rp1, pinctrl-bcm2711, pinctrl-bcm2835 in that order. Enumerates /dev/gpiochip*,
 * de-duplicated by realpath. Never by number (see gpio/header_chip.h). Throws RunError naming
 * what was tried. */
std::string findHeaderChip(const std::string &spec);

/* The libgpiod backend (builds against libgpiod 1.6 and 2.x). Throws RunError. */
std::unique_ptr<GpioLines> openGpiodLines(const std::string &chipSpec, const LineRequest &request);

} // namespace lockstep
