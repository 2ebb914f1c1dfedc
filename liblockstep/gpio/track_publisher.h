/* Publishes simulated motors' positions to their track files (gpio/motor_track.h) without I/O
 * on the real-time path: publish() only pushes into a lock-free ring; flush() appends what is
 * pending to the files. */
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "gpio/motor_track.h"
#include "gpio/spsc_ring.h"

namespace lockstep
{

class TrackPublisher
{
public:
    struct Motor {
        std::string name;
        int64_t initialStep;
    };

    /* Opens <simDir>/tracks/<motor>.track for appending. Writes the initial position as a
     * record when the file is new or its last record is elsewhere. Throws RunError. */
    TrackPublisher(const std::string &simDir, const std::vector<Motor> &motors);
    ~TrackPublisher();
    TrackPublisher(const TrackPublisher &) = delete;
    TrackPublisher &operator=(const TrackPublisher &) = delete;

    /* Real-time producer (one thread at a time). A full ring loses the record and counts it. */
    void publish(unsigned motor, const TrackRecord &record) noexcept;
    /* Appends pending records to the files; callable from any thread. Throws RunError. */
    void flush();
    size_t lost() const { return lost_.load(std::memory_order_relaxed); }

private:
    struct Event {
        unsigned motor;
        TrackRecord record;
    };
    static constexpr size_t kRingCapacity = size_t{1} << 16;
    static constexpr size_t kBatchRecords = 256;

    void write(unsigned motor, const TrackFileRecord *records, size_t count);

    std::vector<std::string> paths_;
    std::vector<int> fds_;
    SpscRing<Event> ring_{kRingCapacity};
    std::mutex flushMutex_;                             /* one consumer at a time */
    std::vector<std::vector<TrackFileRecord>> batches_; /* per motor, guarded by flushMutex_ */
    std::atomic<size_t> lost_{0};
};

} // namespace lockstep
