/* A sensor's raw buffer as libcamera delivers it, unpacked into a RawImage: CSI-2 packed 10-bit
 * (four photosites in five bytes: four high bytes, then their low two bits) and 12-bit (two in
 * three bytes: two high bytes, then their low four bits), or 16-bit little-endian samples. The
 * colour order and bit depth come from the pixel format's name (SRGGB10_CSI2P, SBGGR12_CSI2P,
 * SGRBG16 ...), as libcamera's formats name them. Compressed formats (a Pi 5's PISP_COMP1) are
 * not among them. */
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "image/raw_image.h"

namespace lockstep
{

struct RawLayout {
    CfaPattern cfa = CfaPattern::Rggb;
    unsigned bits = 10;
    bool packed = true; /* CSI-2 packing; else 16-bit samples */
};

/* std::nullopt for a format this does not unpack. */
std::optional<RawLayout> rawLayoutOf(std::string_view pixelFormatName);

/* Bytes one row of `width` photosites takes in the layout (before any stride padding). */
size_t rawRowBytes(const RawLayout &layout, unsigned width);

/* Throws RunError if `data` is shorter than `height` rows of `stride` bytes, the stride is
 * shorter than a row, or the black level is not below the white level. blackLevel is in the
 * samples' own units (a 10-bit sensor's 64, not libcamera's 16-bit 4096). */
RawImage unpackRaw(std::span<const uint8_t> data, unsigned width, unsigned height, size_t stride,
                   const RawLayout &layout, unsigned blackLevel);

} // namespace lockstep
