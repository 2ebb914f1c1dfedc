#include <boost/test/unit_test.hpp>

#include <cstring>

#include "image/pixel_block.h"
#include "image/yuv420_image.h"

using namespace lockstep;

namespace
{

constexpr size_t kFrameBytes = size_t(4) << 20; /* kept: 1 MiB and more */

} // namespace

BOOST_AUTO_TEST_CASE(a_frame_given_back_is_the_next_frames_memory)
{
    trimPixelBlocks();
    const uint8_t *first = nullptr;
    {
        const PixelBlock block(kFrameBytes);
        first = block.data();
        BOOST_TEST(idlePixelBlockBytes() == 0u);
    }
    BOOST_TEST(idlePixelBlockBytes() == kFrameBytes);
    const PixelBlock next(kFrameBytes);
    BOOST_TEST(next.data() == first);
    BOOST_TEST(idlePixelBlockBytes() == 0u);
}

BOOST_AUTO_TEST_CASE(no_more_blocks_are_kept_than_were_in_use_at_once)
{
    trimPixelBlocks();
    {
        const PixelBlock a(kFrameBytes);
        const PixelBlock b(kFrameBytes);
    }
    BOOST_TEST(idlePixelBlockBytes() == 2 * kFrameBytes);
    for (int frame = 0; frame < 10; ++frame) {
        const PixelBlock c(kFrameBytes); /* one at a time: the idle ones serve */
        BOOST_TEST(idlePixelBlockBytes() == kFrameBytes);
    }
    BOOST_TEST(idlePixelBlockBytes() == 2 * kFrameBytes);
    BOOST_TEST(trimPixelBlocks() == 2 * kFrameBytes);
    BOOST_TEST(idlePixelBlockBytes() == 0u);
}

BOOST_AUTO_TEST_CASE(another_size_lets_the_idle_blocks_go_and_small_ones_are_not_kept)
{
    trimPixelBlocks();
    {
        const PixelBlock block(kFrameBytes);
    }
    BOOST_TEST(idlePixelBlockBytes() == kFrameBytes);
    {
        const PixelBlock other(2 * kFrameBytes); /* a camera in another mode */
        BOOST_TEST(idlePixelBlockBytes() == 0u);
    }
    BOOST_TEST(idlePixelBlockBytes() == 2 * kFrameBytes);
    {
        const PixelBlock small(4096);
    }
    BOOST_TEST(idlePixelBlockBytes() == 2 * kFrameBytes);
    trimPixelBlocks();
}

BOOST_AUTO_TEST_CASE(a_copy_has_memory_of_its_own_and_a_move_takes_it)
{
    trimPixelBlocks();
    PixelBlock block(kFrameBytes);
    std::memset(block.data(), 7, block.size());
    const PixelBlock copy = block;
    BOOST_TEST(copy.data() != block.data());
    BOOST_TEST(std::memcmp(copy.data(), block.data(), kFrameBytes) == 0);
    const uint8_t *memory = block.data();
    PixelBlock moved = std::move(block);
    BOOST_TEST(moved.data() == memory);
    BOOST_TEST(block.size() == 0u); // NOLINT(bugprone-use-after-move): moved from is empty
    BOOST_TEST(idlePixelBlockBytes() == 0u);
    moved = PixelBlock(); /* given back */
    BOOST_TEST(idlePixelBlockBytes() == kFrameBytes);
    trimPixelBlocks();
}

BOOST_AUTO_TEST_CASE(a_frame_lets_its_pixels_go_to_the_next_frame)
{
    trimPixelBlocks();
    const uint8_t *pixels = nullptr;
    {
        const Yuv420Image frame(2048, 1536); /* 4.5 MiB */
        pixels = frame.y();
    }
    const Yuv420Image next(2048, 1536);
    BOOST_TEST(next.y() == pixels);
    trimPixelBlocks();
}
