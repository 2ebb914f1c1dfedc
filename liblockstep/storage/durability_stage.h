/* Makes staged batches durable on a thread of its own, so the thread that staged them (an
 * encoder) goes on with its next frame instead of waiting for the disk. Batches handed over
 * while a commit is under way wait, and are then committed together as one group: one flush
 * pass, and one sync per directory for all of them, so the slower the disk, the fewer journal
 * commits per position (group commit).
 *
 * A batch's `done` is called on the stage's thread only after its files are durable (or with
 * the error that stopped them), in the order the batches were handed over, one at a time. The
 * order of the steps on disk is DurableBatch's, over the whole group: every file's data, then
 * every rename, then every directory's sync; so a crash still leaves each file complete at its
 * name or absent, and nothing is reported that is not durable. */
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "storage/durable_batch.h"

namespace lockstep
{

class DurabilityStage
{
public:
    /* `error` is empty when the batch is durable. An exception it throws is ignored. */
    using Done = std::function<void(const std::string &error)>;

    /* At most `maxWaiting` batches wait (besides the group being committed): commit() blocks
     * beyond that, so a disk slower than the encoders holds back the encoders. */
    explicit DurabilityStage(size_t maxWaiting);
    /* Commits every batch handed over, then joins. */
    ~DurabilityStage();
    DurabilityStage(const DurabilityStage &) = delete;
    DurabilityStage &operator=(const DurabilityStage &) = delete;

    void commit(DurableBatch batch, Done done);
    /* Waits until every batch handed over is committed and its `done` has returned. */
    void drain();

private:
    struct Waiting {
        DurableBatch batch;
        Done done;
    };

    void run();

    const size_t maxWaiting_;
    std::mutex mutex_;
    std::condition_variable work_;
    std::condition_variable room_;
    std::condition_variable idle_;
    std::deque<Waiting> waiting_;
    bool committing_ = false;
    bool stopping_ = false;
    std::thread thread_; /* last: starts once the rest is ready */
};

} // namespace lockstep
