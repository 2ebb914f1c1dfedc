#include "image/csi2_unpack.h"

#include <string>

#include "util/errors.h"

namespace lockstep
{

namespace
{

std::optional<CfaPattern> cfaFromName(std::string_view order)
{
    if (order == "RGGB")
        return CfaPattern::Rggb;
    if (order == "GRBG")
        return CfaPattern::Grbg;
    if (order == "GBRG")
        return CfaPattern::Gbrg;
    if (order == "BGGR")
        return CfaPattern::Bggr;
    return std::nullopt;
}

} // namespace

std::optional<RawLayout> rawLayoutOf(std::string_view name)
{
    /* S<order><bits>[_CSI2P] */
    if (name.size() < 7 || name[0] != 'S')
        return std::nullopt;
    const std::optional<CfaPattern> cfa = cfaFromName(name.substr(1, 4));
    if (!cfa)
        return std::nullopt;
    const std::string_view rest = name.substr(5);
    RawLayout layout;
    layout.cfa = *cfa;
    if (rest == "10_CSI2P" || rest == "12_CSI2P") {
        layout.bits = rest == "10_CSI2P" ? 10 : 12;
        layout.packed = true;
        return layout;
    }
    if (rest == "16") {
        layout.bits = 16;
        layout.packed = false;
        return layout;
    }
    return std::nullopt;
}

size_t rawRowBytes(const RawLayout &layout, unsigned width)
{
    if (!layout.packed)
        return size_t(width) * 2;
    if (layout.bits == 10)
        return (size_t(width) + 3) / 4 * 5;
    return (size_t(width) + 1) / 2 * 3;
}

RawImage unpackRaw(std::span<const uint8_t> data, unsigned width, unsigned height, size_t stride,
                   const RawLayout &layout, unsigned blackLevel)
{
    const size_t rowBytes = rawRowBytes(layout, width);
    if (width == 0 || height == 0 || stride < rowBytes ||
        data.size() < stride * (height - 1) + rowBytes)
        throw RunError("raw buffer of " + std::to_string(data.size()) + " bytes is too short for " +
                       std::to_string(width) + "x" + std::to_string(height) + " with stride " +
                       std::to_string(stride));
    RawImage raw;
    raw.width = width;
    raw.height = height;
    raw.bitDepth = layout.bits;
    raw.cfa = layout.cfa;
    if (blackLevel >= raw.whiteLevel())
        throw RunError("raw black level " + std::to_string(blackLevel) +
                       " at or above the white level " + std::to_string(raw.whiteLevel()));
    raw.blackLevel = uint16_t(blackLevel);
    raw.samples.resize(size_t(width) * height);
    for (unsigned y = 0; y < height; ++y) {
        const uint8_t *row = data.data() + size_t(y) * stride;
        uint16_t *out = raw.samples.data() + size_t(y) * width;
        for (unsigned x = 0; x < width; ++x) {
            if (!layout.packed) {
                out[x] = uint16_t(row[2 * size_t(x)] | row[2 * size_t(x) + 1] << 8);
            } else if (layout.bits == 10) {
                const uint8_t *group = row + size_t(x / 4) * 5;
                out[x] = uint16_t(group[x % 4] << 2 | ((group[4] >> (2 * (x % 4))) & 3));
            } else {
                const uint8_t *group = row + size_t(x / 2) * 3;
                out[x] = uint16_t(group[x % 2] << 4 | ((group[2] >> (4 * (x % 2))) & 15));
            }
        }
    }
    return raw;
}

} // namespace lockstep
