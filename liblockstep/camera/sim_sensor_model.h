/* Timing models of the simulated sensor: a generic 30 fps sensor and Raspberry Pi cameras'
 * full-resolution modes. Frame rates are those of the modes (IMX219 3280x2464 21.19 fps, IMX477
 * 4056x3040 10 fps, IMX708 4608x2592 14.35 fps); line times follow from the rate and the rows of
 * the mode with a short vertical blank, and the readout is rows x line time. Control latencies
 * are what the Raspberry Pi pipeline gives with three buffers: a control travels with a request
 * paired with a raw frame, then waits the sensor's VBLANK delay (2 frames on IMX219, 3 on IMX477
 * and IMX708), "num_buffers + 3 or + 4" frames in all. */
#pragma once

#include "config/rig.h"
#include "util/chrono_clocks.h"

namespace lockstep
{

struct SimSensorTiming {
    Nanoseconds minFrameDuration;
    Nanoseconds lineTime;
    Nanoseconds readout;
    unsigned controlLatency; /* frames */
    /* Exposure may not fill the whole frame: it ends this many lines before the next frame. */
    unsigned integrationDiffLines;
};

constexpr SimSensorTiming simSensorTiming(SimSensor sensor)
{
    switch (sensor) {
    case SimSensor::Imx219:
        return {Nanoseconds(47'190'000), Nanoseconds(18'900), Nanoseconds(46'570'000), 5, 4};
    case SimSensor::Imx477:
        return {Nanoseconds(100'000'000), Nanoseconds(28'600), Nanoseconds(86'940'000), 6, 22};
    case SimSensor::Imx708:
        return {Nanoseconds(69'690'000), Nanoseconds(26'400), Nanoseconds(68'430'000), 6, 48};
    case SimSensor::Generic:
        break;
    }
    return {Nanoseconds(33'333'333), Nanoseconds(20'000), Nanoseconds(20'000'000), 4, 4};
}

/* The longest frame any model allows (long exposures need long frames). */
constexpr Nanoseconds kSimMaxFrameDuration = std::chrono::seconds(120);
/* Sensor frame-start timestamps scatter by up to this much (interrupt latency). */
constexpr Nanoseconds kSimTimestampJitter = Microseconds(8);
/* Sensor crystals are off by up to this many parts per million against CLOCK_REALTIME. */
constexpr double kSimMaxDriftPpm = 40;

} // namespace lockstep
