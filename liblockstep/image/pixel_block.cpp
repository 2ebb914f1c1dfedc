#include "image/pixel_block.h"

#include <cstring>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace lockstep
{

namespace
{

constexpr size_t kSmallestKept = size_t(1) << 20;

/* Idle blocks, all of one size. Frames are made on camera threads and let go on writer
 * threads, hence the lock; it is held for a push or a pop, never for an allocation. */
class Recycler
{
public:
    uint8_t *take(size_t bytes)
    {
        std::vector<std::unique_ptr<uint8_t[]>> stale; /* freed outside the lock */
        {
            const std::lock_guard lock(mutex_);
            if (bytes == size_ && !idle_.empty()) {
                uint8_t *block = idle_.back().release();
                idle_.pop_back();
                return block;
            }
            if (bytes >= kSmallestKept && bytes != size_) {
                stale.swap(idle_);
                size_ = bytes;
            }
        }
        return new uint8_t[bytes]; /* default-initialised: not zeroed */
    }

    void give(uint8_t *block, size_t bytes) noexcept
    {
        std::unique_ptr<uint8_t[]> owned(block);
        if (bytes < kSmallestKept)
            return;
        const std::lock_guard lock(mutex_);
        if (bytes != size_)
            return;
        try {
            idle_.push_back(std::move(owned));
        } catch (...) { /* no room to keep it: it is freed */
        }
    }

    size_t trim()
    {
        std::vector<std::unique_ptr<uint8_t[]>> stale;
        size_t bytes = 0;
        {
            const std::lock_guard lock(mutex_);
            stale.swap(idle_);
            bytes = stale.size() * size_;
        }
        return bytes;
    }

    size_t idleBytes() const
    {
        const std::lock_guard lock(mutex_);
        return idle_.size() * size_;
    }

private:
    mutable std::mutex mutex_;
    size_t size_ = 0; /* of every idle block */
    std::vector<std::unique_ptr<uint8_t[]>> idle_;
};

/* Never destroyed: blocks in static objects may be given back after main returns. */
Recycler &recycler()
{
    static auto *instance = new Recycler;
    return *instance;
}

} // namespace

PixelBlock::PixelBlock(size_t bytes)
    : data_(bytes == 0 ? nullptr : recycler().take(bytes)), size_(bytes)
{
}

PixelBlock::~PixelBlock()
{
    giveBack();
}

PixelBlock::PixelBlock(const PixelBlock &other) : PixelBlock(other.size_)
{
    if (size_ != 0)
        std::memcpy(data_, other.data_, size_);
}

PixelBlock &PixelBlock::operator=(const PixelBlock &other)
{
    if (this != &other)
        *this = PixelBlock(other);
    return *this;
}

PixelBlock::PixelBlock(PixelBlock &&other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0))
{
}

PixelBlock &PixelBlock::operator=(PixelBlock &&other) noexcept
{
    if (this != &other) {
        giveBack();
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

void PixelBlock::giveBack() noexcept
{
    if (data_ != nullptr)
        recycler().give(std::exchange(data_, nullptr), std::exchange(size_, 0));
}

size_t trimPixelBlocks()
{
    return recycler().trim();
}

size_t idlePixelBlockBytes()
{
    return recycler().idleBytes();
}

} // namespace lockstep
