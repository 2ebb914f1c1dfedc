#include "gpio/motor_track.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "util/errors.h"

namespace lockstep
{

namespace
{

/* First record strictly after t. */
auto firstAfter(const std::vector<TrackRecord> &records, Nanos t)
{
    return std::upper_bound(records.begin(), records.end(), t,
                            [](Nanos time, const TrackRecord &r) { return time < r.realtime; });
}

} // namespace

MotorTrack MotorTrack::load(const std::string &path, int64_t initialStep)
{
    MotorTrack track;
    track.initialStep_ = initialStep;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (errno == ENOENT)
            return track;
        throw RunError("cannot read track " + path + ": " + std::strerror(errno));
    }
    /* A writer may be appending: only whole records count. */
    TrackRecord record{};
    while (in.read(reinterpret_cast<char *>(&record), sizeof(record)))
        track.records_.push_back(record);
    if (in.bad())
        throw RunError("cannot read track " + path);
    return track;
}

int64_t MotorTrack::stepAt(Nanos t) const
{
    const auto after = firstAfter(records_, t);
    return after == records_.begin() ? initialStep_ : std::prev(after)->step;
}

bool MotorTrack::movedDuring(Nanos from, Nanos to) const
{
    if (to < from)
        return false;
    const int64_t start = stepAt(from);
    const auto end = firstAfter(records_, to);
    return std::any_of(firstAfter(records_, from), end,
                       [start](const TrackRecord &r) { return r.step != start; });
}

} // namespace lockstep
