#include "scan/manifest_recorder.h"

#include <nlohmann/json.hpp>

namespace lockstep
{

ManifestRecorder::ManifestRecorder(std::unique_ptr<ManifestWriter> writer, size_t framesAlready)
    : writer_(std::move(writer)), framesRecorded_(framesAlready)
{
}

void ManifestRecorder::beginPosition(unsigned position, std::map<std::string, double> commanded,
                                     Nanos T)
{
    PositionRecord &record = pending_[position];
    record.position = position;
    record.commanded = std::move(commanded);
    record.captureInstant = T;
}

void ManifestRecorder::record(const std::vector<RankStatus> &statuses)
{
    for (const RankStatus &status : statuses) {
        for (const FrameRecord &frame : status.frames) {
            writer_->append(toJson(frame));
            ++framesRecorded_;
        }
        if (!status.timings)
            continue;
        PositionRecord &position = pending_[status.timings->position];
        position.timings[status.node] = status.timings->timings;
        position.lock.insert(status.lock.begin(), status.lock.end());
    }
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (it->second.timings.size() < statuses.size()) {
            ++it;
            continue;
        }
        writer_->append(toJson(it->second));
        it = pending_.erase(it);
    }
}

void ManifestRecorder::complete(size_t positions)
{
    writer_->append({{"type", "complete"}, {"positions", positions}, {"frames", framesRecorded_}});
}

} // namespace lockstep
