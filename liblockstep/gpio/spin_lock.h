/* A lock for GpioLines::set(): uncontended it costs one atomic exchange and no system call.
 * It is only contended when another thread releases the motors while the executor runs. */
#pragma once

#include <atomic>
#include <thread>

namespace lockstep
{

class SpinLock
{
public:
    void lock() noexcept
    {
        while (flag_.test_and_set(std::memory_order_acquire))
            std::this_thread::yield();
    }
    void unlock() noexcept { flag_.clear(std::memory_order_release); }

private:
    std::atomic_flag flag_;
};

} // namespace lockstep
