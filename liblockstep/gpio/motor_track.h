/* A motor's published position over time: a binary file of fixed records
 * { int64 realtime_ns; int64 step; } in little-endian host order, appended in time order by
 * the simulated GPIO (one record per step and one at each ENABLE change). A simulated camera on
 * any node reads it to ask "where was this motor at instant t?". */
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/chrono_clocks.h"

namespace lockstep
{

/* The motor stood at `step` from `realtime` on. */
struct TrackRecord {
    RealtimeInstant realtime;
    int64_t step;
};

/* A record as the file holds it; toFileRecord() and fromFileRecord() are the only crossings. */
struct TrackFileRecord {
    int64_t realtimeNs; /* CLOCK_REALTIME nanoseconds since the epoch */
    int64_t step;
};
static_assert(sizeof(TrackFileRecord) == 16, "the track file format is 16-byte records");

constexpr TrackFileRecord toFileRecord(const TrackRecord &r)
{
    return {wireNanos(r.realtime), r.step};
}
constexpr TrackRecord fromFileRecord(const TrackFileRecord &r)
{
    return {realtimeFromWire(r.realtimeNs), r.step};
}

class MotorTrack
{
public:
    /* Reads the whole file; an absent file gives an empty track (motor never moved). */
    static MotorTrack load(const std::string &path, int64_t initialStep = 0);
    /* Only what answers stepAt(t) and movedDuring(t, ...) for t >= from: the last record at or
     * before `from` and all after it, found by binary search in the file. A track grows by
     * every step the motor ever made; a frame needs the last few milliseconds. */
    static MotorTrack loadSince(const std::string &path, RealtimeInstant from,
                                int64_t initialStep = 0);

    /* Step position at t: the last record at or before t. */
    int64_t stepAt(RealtimeInstant t) const;
    /* Whether the position changed during [from, to]. */
    bool movedDuring(RealtimeInstant from, RealtimeInstant to) const;
    const std::vector<TrackRecord> &records() const { return records_; }

private:
    std::vector<TrackRecord> records_;
    int64_t initialStep_ = 0;
};

} // namespace lockstep
