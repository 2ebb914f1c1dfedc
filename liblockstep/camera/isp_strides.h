/* How far apart the rows of a YUV 4:2:0 frame are when a Raspberry Pi's ISP writes it: the
 * Pi 4's ISP driver (bcm2835-isp) aligns each luma row to 64 bytes, and the chroma rows are
 * half as long. The simulated camera lays its frames out the same way, so what reads a frame
 * meets the padding a real one has (a 4056-wide frame: rows of 4096 and 2048 bytes). */
#pragma once

#include <cstddef>

namespace lockstep
{

constexpr size_t kIspRowAlignment = 64;

constexpr size_t ispLumaStride(unsigned width)
{
    return (size_t(width) + kIspRowAlignment - 1) / kIspRowAlignment * kIspRowAlignment;
}

constexpr size_t ispChromaStride(unsigned width)
{
    return ispLumaStride(width) / 2;
}

} // namespace lockstep
