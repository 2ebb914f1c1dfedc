#include "storage/durability_stage.h"

#include <exception>
#include <vector>

namespace lockstep
{

DurabilityStage::DurabilityStage(size_t maxWaiting)
    : maxWaiting_(maxWaiting == 0 ? 1 : maxWaiting), thread_([this] { run(); })
{
}

DurabilityStage::~DurabilityStage()
{
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    work_.notify_all();
    thread_.join();
}

void DurabilityStage::commit(DurableBatch batch, Done done)
{
    std::unique_lock lock(mutex_);
    room_.wait(lock, [this] { return waiting_.size() < maxWaiting_; });
    waiting_.push_back(Waiting{std::move(batch), std::move(done)});
    lock.unlock();
    work_.notify_one();
}

void DurabilityStage::drain()
{
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return waiting_.empty() && !committing_; });
}

void DurabilityStage::run()
{
    for (;;) {
        std::unique_lock lock(mutex_);
        work_.wait(lock, [this] { return !waiting_.empty() || stopping_; });
        if (waiting_.empty())
            return;
        /* Everything waiting goes as one group. */
        std::vector<Waiting> group;
        group.reserve(waiting_.size());
        for (Waiting &waiting : waiting_)
            group.push_back(std::move(waiting));
        waiting_.clear();
        committing_ = true;
        lock.unlock();
        room_.notify_all();

        std::string error;
        try {
            DurableBatch &all = group.front().batch;
            for (size_t i = 1; i < group.size(); ++i)
                all.append(std::move(group[i].batch));
            all.commit();
        } catch (const std::exception &e) {
            error = e.what();
        }
        /* The group's temporaries not published are removed before anyone hears of it. */
        group.front().batch = DurableBatch();
        for (Waiting &waiting : group) {
            try {
                waiting.done(error);
            } catch (const std::exception &) { /* the caller's to report; see Done */
            }
        }

        lock.lock();
        committing_ = false;
        if (waiting_.empty())
            idle_.notify_all();
    }
}

} // namespace lockstep
