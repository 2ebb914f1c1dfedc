#include "scan/manifest_recorder.h"

#include <nlohmann/json.hpp>

namespace lockstep
{

ManifestRecorder::ManifestRecorder(std::unique_ptr<ManifestWriter> writer, size_t framesAlready)
    : writer_(std::move(writer)), framesRecorded_(framesAlready), thread_([this] { writeLoop(); })
{
}

ManifestRecorder::~ManifestRecorder()
{
    {
        const std::lock_guard lock(mutex_);
        closing_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void ManifestRecorder::enqueue(std::function<void()> work)
{
    {
        const std::lock_guard lock(mutex_);
        if (error_)
            std::rethrow_exception(error_);
        queue_.push_back(std::move(work));
    }
    wake_.notify_one();
}

void ManifestRecorder::writeLoop()
{
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return closing_ || !queue_.empty(); });
        if (queue_.empty())
            return; /* closing, and everything written */
        std::function<void()> work = std::move(queue_.front());
        queue_.pop_front();
        busy_ = true;
        lock.unlock();
        std::exception_ptr failed;
        try {
            if (!error_) /* after a failed write, the manifest stays as it was */
                work();
        } catch (...) {
            failed = std::current_exception();
        }
        lock.lock();
        busy_ = false;
        if (failed && !error_)
            error_ = failed;
        if (queue_.empty())
            idle_.notify_all();
    }
}

void ManifestRecorder::beginPosition(unsigned position, std::map<std::string, double> commanded,
                                     RealtimeInstant T)
{
    enqueue([this, position, commanded = std::move(commanded), T]() mutable {
        PositionRecord &record = pending_[position];
        record.position = position;
        record.commanded = std::move(commanded);
        record.captureInstant = T;
    });
}

void ManifestRecorder::record(std::vector<RankReport> reports)
{
    enqueue([this, reports = std::move(reports)] { writeReports(reports); });
}

void ManifestRecorder::writeReports(const std::vector<RankReport> &reports)
{
    for (const RankReport &report : reports) {
        for (const FrameRecord &frame : report.frames) {
            writer_->append(toJson(frame));
            const std::lock_guard lock(mutex_);
            ++framesRecorded_;
        }
        if (!report.timings)
            continue;
        PositionRecord &position = pending_[report.timings->position];
        position.timings[report.node] = report.timings->timings;
        position.lock.insert(report.lock.begin(), report.lock.end());
    }
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (it->second.timings.size() < reports.size()) {
            ++it;
            continue;
        }
        writer_->append(toJson(it->second));
        it = pending_.erase(it);
    }
}

void ManifestRecorder::complete(size_t positions)
{
    enqueue([this, positions] {
        writer_->append(
            {{"type", "complete"}, {"positions", positions}, {"frames", framesRecorded()}});
    });
    flush();
}

void ManifestRecorder::flush()
{
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
    if (error_)
        std::rethrow_exception(error_);
}

size_t ManifestRecorder::framesRecorded() const
{
    const std::lock_guard lock(mutex_);
    return framesRecorded_;
}

} // namespace lockstep
