/* Timing models of the simulated sensor: a generic 30 fps sensor and Raspberry Pi cameras'
 * full-resolution modes. Frame rates are those of the modes (IMX219 3280x2464 21.19 fps, IMX477
 * 4056x3040 10 fps, IMX708 4608x2592 14.35 fps); line times follow from the rate and the rows of
 * the mode with a short vertical blank, and the readout is rows x line time. Control latencies
 * are what the Raspberry Pi pipeline gives with three buffers: a control travels with a request
 * paired with a raw frame, then waits the sensor's VBLANK delay (2 frames on IMX219, 3 on IMX477
 * and IMX708), "num_buffers + 3 or + 4" frames in all. */
#pragma once

#include "config/rig.h"
#include "util/clock.h"

namespace lockstep
{

struct SimSensorTiming {
    Nanos minFrameDuration;
    Nanos lineTime;
    Nanos readout;
    unsigned controlLatency; /* frames */
    /* Exposure may not fill the whole frame: it ends this many lines before the next frame. */
    unsigned integrationDiffLines;
};

constexpr SimSensorTiming simSensorTiming(SimSensor sensor)
{
    switch (sensor) {
    case SimSensor::Imx219:
        return {47'190'000, 18'900, 46'570'000, 5, 4};
    case SimSensor::Imx477:
        return {100'000'000, 28'600, 86'940'000, 6, 22};
    case SimSensor::Imx708:
        return {69'690'000, 26'400, 68'430'000, 6, 48};
    case SimSensor::Generic:
        break;
    }
    return {33'333'333, 20'000, 20'000'000, 4, 4};
}

/* The longest frame any model allows (long exposures need long frames). */
constexpr Nanos kSimMaxFrameDuration = 120 * kNanosPerSecond;
/* Sensor frame-start timestamps scatter by up to this much (interrupt latency). */
constexpr Nanos kSimTimestampJitter = 8'000;
/* Sensor crystals are off by up to this many parts per million against CLOCK_REALTIME. */
constexpr double kSimMaxDriftPpm = 40;

} // namespace lockstep
