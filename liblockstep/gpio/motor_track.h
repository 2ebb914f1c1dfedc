/* A motor's published position over time: a binary file of fixed records
 * { int64 realtime_ns; int64 step; } in little-endian host order, appended in time order by
 * the simulated GPIO (one record per step and one at each ENABLE change). A simulated camera on
 * any node reads it to ask "where was this motor at instant t?". */
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/clock.h"

namespace lockstep
{

struct TrackRecord {
    Nanos realtime;
    int64_t step;
};

class MotorTrack
{
public:
    /* Reads the whole file; an absent file gives an empty track (motor never moved). */
    static MotorTrack load(const std::string &path, int64_t initialStep = 0);
    /* Only what answers stepAt(t) and movedDuring(t, ...) for t >= from: the last record at or
     * before `from` and all after it, found by binary search in the file. A track grows by
     * every step the motor ever made; a frame needs the last few milliseconds. */
    static MotorTrack loadSince(const std::string &path, Nanos from, int64_t initialStep = 0);

    /* Step position at realtime t: the last record at or before t. */
    int64_t stepAt(Nanos t) const;
    /* Whether the position changed during [from, to]. */
    bool movedDuring(Nanos from, Nanos to) const;
    const std::vector<TrackRecord> &records() const { return records_; }

private:
    std::vector<TrackRecord> records_;
    int64_t initialStep_ = 0;
};

} // namespace lockstep
