/* Shared helpers of the motion tests: a temporary directory and a recording GPIO double. */
#pragma once

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gpio/gpio_lines.h"
#include "util/chrono_clocks.h"
#include "util/errors.h"

namespace lockstep::test
{

class TempDir
{
public:
    TempDir()
    {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "lockstep-motion-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;

    const std::string &path() const { return path_; }

private:
    std::string path_;
};

/* Records every set() call with its time; can sleep in set() or fail on chosen lines. */
class RecordingLines : public GpioLines
{
public:
    struct Call {
        MonotonicInstant time;
        std::vector<unsigned> offsets;
        std::vector<uint8_t> levels;
    };

    void set(std::span<const unsigned> offsets, std::span<const uint8_t> levels) override
    {
        const std::lock_guard lock(mutex_);
        for (unsigned o : offsets) {
            if (failOn_ && *failOn_ == o)
                throw RunError("injected failure on line " + std::to_string(o));
        }
        if (delay_ > Nanoseconds::zero())
            sleepUntil(MonotonicClock::now() + delay_);
        if (stallAt_ && *stallAt_ == calls_.size())
            sleepUntil(MonotonicClock::now() + stall_);
        calls_.push_back({MonotonicClock::now(),
                          {offsets.begin(), offsets.end()},
                          {levels.begin(), levels.end()}});
        for (size_t i = 0; i < offsets.size(); ++i)
            levels_[offsets[i]] = levels[i];
    }
    uint8_t get(unsigned offset) override
    {
        const std::lock_guard lock(mutex_);
        return levels_[offset];
    }

    void sleepInSet(Nanoseconds delay) { delay_ = delay; }
    void failOn(unsigned offset) { failOn_ = offset; }
    /* The call with this index (0 = the first) takes `stall` longer, once: a node that kept
     * the executor from running. */
    void stallOnce(size_t call, Nanoseconds stall)
    {
        stallAt_ = call;
        stall_ = stall;
    }
    std::vector<Call> calls() const
    {
        const std::lock_guard lock(mutex_);
        return calls_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<Call> calls_;
    std::map<unsigned, uint8_t> levels_;
    Nanoseconds delay_{0};
    std::optional<unsigned> failOn_;
    std::optional<size_t> stallAt_;
    Nanoseconds stall_{0};
};

} // namespace lockstep::test
