/* The memory a frame's pixels live in, recycled. A 12 MP YUV 4:2:0 frame is 18 MB: made fresh
 * for every capture, the camera thread would fault in and zero 18 MB of new pages and the writer
 * thread that lets the frame go would unmap them again, a few milliseconds of CPU per frame on
 * the cores the encoders need (docs/performance.md, Writer). A block given back is kept instead
 * and handed to the next frame of the same size, as a camera's request buffers are re-queued
 * rather than reallocated.
 *
 * The blocks kept are the ones frames used at once, at most: a frame takes an idle block before
 * a new one is made, so a scan holds no more than its writer queue bounds (frames in the queue,
 * one per writer thread, the one in hand). Blocks under 1 MiB are not kept (the C library's
 * allocator serves those well), and taking a block of another size lets the idle ones go (a
 * camera reconfigured to another mode). trimPixelBlocks() lets every idle block go. */
#pragma once

#include <cstddef>
#include <cstdint>

namespace lockstep
{

class PixelBlock
{
public:
    PixelBlock() = default;
    /* `bytes` bytes, not initialised: an idle block of that size if there is one. */
    explicit PixelBlock(size_t bytes);
    ~PixelBlock();
    /* A copy is a block of its own with the same bytes. */
    PixelBlock(const PixelBlock &other);
    PixelBlock &operator=(const PixelBlock &other);
    PixelBlock(PixelBlock &&other) noexcept;
    PixelBlock &operator=(PixelBlock &&other) noexcept;

    uint8_t *data() { return data_; }
    const uint8_t *data() const { return data_; }
    size_t size() const { return size_; }

private:
    void giveBack() noexcept;

    uint8_t *data_ = nullptr;
    size_t size_ = 0;
};

/* Frees every idle block; returns how many bytes that released. */
size_t trimPixelBlocks();

/* Bytes held in idle blocks, for tests and benchmarks. */
size_t idlePixelBlockBytes();

} // namespace lockstep
