/* Rank 0's record of the scan: frame lines as the ranks report them, and a position's line
 * once every rank has sent its timings for it (one fence after the capture). Each line is
 * fsynced (ManifestWriter), on a thread of the recorder's own: an fsync takes milliseconds on
 * a loaded or network file system, and the scan's fences must not wait for it. A write error
 * comes back from the next call (and from flush()). */
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
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
    /* Writes what is queued, then stops the thread. */
    ~ManifestRecorder();
    ManifestRecorder(const ManifestRecorder &) = delete;
    ManifestRecorder &operator=(const ManifestRecorder &) = delete;

    void beginPosition(unsigned position, std::map<std::string, double> commanded,
                       RealtimeInstant T);
    /* Every rank's report of one fence, in rank order. */
    void record(std::vector<RankReport> reports);
    /* Queues the "complete" line and waits until everything is written. */
    void complete(size_t positions);
    /* Waits until everything queued is written; rethrows a write error. */
    void flush();

    /* Frames written so far (call after flush() for the final count). */
    size_t framesRecorded() const;

private:
    void enqueue(std::function<void()> work);
    void writeLoop();
    void writeReports(const std::vector<RankReport> &reports);

    std::unique_ptr<ManifestWriter> writer_;
    std::map<unsigned, PositionRecord> pending_; /* until every rank's timings; writer thread */
    size_t framesRecorded_;                      /* guarded by mutex_ */

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    std::deque<std::function<void()>> queue_;
    bool busy_ = false;
    bool closing_ = false;
    std::exception_ptr error_;
    std::thread thread_; /* last: started once everything above exists */
};

} // namespace lockstep
