/* A frame the storage tests can tell apart from the others: gradients offset by its number, in
 * padded planes as a sensor pipeline gives them (each row 16 luma and 8 chroma bytes longer
 * than the picture), with `sequence` set to the number. */
#pragma once

#include <cstdint>

#include "camera/camera.h"

namespace lockstep::test
{

inline Frame frameNumber(unsigned n, unsigned width, unsigned height)
{
    Frame frame;
    frame.image = Yuv420Image(width, height, kJpegYuv, width + 16, (width + 1) / 2 + 8);
    for (unsigned y = 0; y < height; ++y)
        for (unsigned x = 0; x < width; ++x)
            frame.image.yRow(y)[x] = static_cast<uint8_t>(x * 3 + y + n);
    for (unsigned y = 0; y < frame.image.chromaHeight(); ++y)
        for (unsigned x = 0; x < frame.image.chromaWidth(); ++x) {
            frame.image.cbRow(y)[x] = static_cast<uint8_t>(100 + y + n);
            frame.image.crRow(y)[x] = static_cast<uint8_t>(150 - x + n);
        }
    frame.sequence = n;
    return frame;
}

} // namespace lockstep::test
