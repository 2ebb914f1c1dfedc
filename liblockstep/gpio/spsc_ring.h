/* A bounded lock-free ring for exactly one producer and one consumer thread. */
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

namespace lockstep
{

template <typename T> class SpscRing
{
public:
    /* capacity must be a power of two. */
    explicit SpscRing(size_t capacity)
        : mask_(capacity - 1), slots_(std::make_unique<T[]>(capacity))
    {
    }

    /* Producer only. Returns false when the ring is full. */
    bool push(const T &value) noexcept
    {
        const size_t head = head_.load(std::memory_order_relaxed);
        if (head - tail_.load(std::memory_order_acquire) > mask_)
            return false;
        slots_[head & mask_] = value;
        head_.store(head + 1, std::memory_order_release);
        return true;
    }

    /* Consumer only. */
    bool pop(T &value) noexcept
    {
        const size_t tail = tail_.load(std::memory_order_relaxed);
        if (tail == head_.load(std::memory_order_acquire))
            return false;
        value = slots_[tail & mask_];
        tail_.store(tail + 1, std::memory_order_release);
        return true;
    }

private:
    const size_t mask_;
    std::unique_ptr<T[]> slots_;
    alignas(64) std::atomic<size_t> head_{0};
    alignas(64) std::atomic<size_t> tail_{0};
};

} // namespace lockstep
