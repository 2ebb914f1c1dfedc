#include "gpio/motor_track.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <sys/stat.h>
#include <unistd.h>

#include "util/errors.h"

namespace lockstep
{

namespace
{

/* First record strictly after t. */
auto firstAfter(const std::vector<TrackRecord> &records, RealtimeInstant t)
{
    return std::upper_bound(
        records.begin(), records.end(), t,
        [](RealtimeInstant time, const TrackRecord &r) { return time < r.realtime; });
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
    TrackFileRecord record{};
    while (in.read(reinterpret_cast<char *>(&record), sizeof(record)))
        track.records_.push_back(fromFileRecord(record));
    if (in.bad())
        throw RunError("cannot read track " + path);
    return track;
}

MotorTrack MotorTrack::loadSince(const std::string &path, RealtimeInstant from, int64_t initialStep)
{
    MotorTrack track;
    track.initialStep_ = initialStep;
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return track;
        throw RunError("cannot read track " + path + ": " + std::strerror(errno));
    }
    auto fail = [&](const char *what) {
        const int error = errno;
        close(fd);
        throw RunError(std::string("cannot ") + what + " track " + path + ": " +
                       std::strerror(error));
    };
    struct stat st {
    };
    if (fstat(fd, &st) != 0)
        fail("stat");
    /* A writer may be appending: only whole records count. */
    const off_t count = st.st_size / off_t(sizeof(TrackFileRecord));
    auto readRecords = [&](off_t first, off_t n, TrackFileRecord *out) {
        const size_t bytes = size_t(n) * sizeof(TrackFileRecord);
        size_t done = 0;
        while (done < bytes) {
            const ssize_t got = pread(fd, reinterpret_cast<char *>(out) + done, bytes - done,
                                      first * off_t(sizeof(TrackFileRecord)) + off_t(done));
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                fail("read");
            done += size_t(got);
        }
    };
    /* The first record after `from`; the one before it (if any) holds the step at `from`. */
    off_t low = 0, high = count;
    while (low < high) {
        const off_t mid = low + (high - low) / 2;
        TrackFileRecord r{};
        readRecords(mid, 1, &r);
        if (fromFileRecord(r).realtime <= from)
            low = mid + 1;
        else
            high = mid;
    }
    const off_t first = low > 0 ? low - 1 : 0;
    std::vector<TrackFileRecord> records(size_t(count - first));
    if (!records.empty())
        readRecords(first, count - first, records.data());
    close(fd);
    track.records_.reserve(records.size());
    for (const TrackFileRecord &r : records)
        track.records_.push_back(fromFileRecord(r));
    return track;
}

int64_t MotorTrack::stepAt(RealtimeInstant t) const
{
    const auto after = firstAfter(records_, t);
    return after == records_.begin() ? initialStep_ : std::prev(after)->step;
}

bool MotorTrack::movedDuring(RealtimeInstant from, RealtimeInstant to) const
{
    if (to < from)
        return false;
    const int64_t start = stepAt(from);
    const auto end = firstAfter(records_, to);
    return std::any_of(firstAfter(records_, from), end,
                       [start](const TrackRecord &r) { return r.step != start; });
}

} // namespace lockstep
