/* Rank 0's record of the scan: frame lines as the ranks report them, and a position's line
 * once every rank has sent its timings for it (one exchange after the capture). Each line is
 * fsynced before append() returns (ManifestWriter). */
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "scan/manifest.h"
#include "scan/rank_messages.h"

namespace lockstep
{

class ManifestRecorder
{
public:
    /* framesAlready: frames the manifest holds from before a resume. */
    ManifestRecorder(std::unique_ptr<ManifestWriter> writer, size_t framesAlready);

    void beginPosition(unsigned position, std::map<std::string, double> commanded, Nanos T);
    /* Every rank's status of one exchange, in rank order. */
    void record(const std::vector<RankStatus> &statuses);
    void complete(size_t positions);

    size_t framesRecorded() const { return framesRecorded_; }

private:
    std::unique_ptr<ManifestWriter> writer_;
    std::map<unsigned, PositionRecord> pending_; /* until every rank's timings */
    size_t framesRecorded_;
};

} // namespace lockstep
