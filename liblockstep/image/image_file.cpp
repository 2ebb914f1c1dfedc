/* Decoding by signature, and reading image files. */
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "image/bayer.h"
#include "image/codecs.h"
#include "image/dng_file.h"
#include "image/image.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

bool startsWith(std::span<const uint8_t> bytes, std::span<const uint8_t> signature)
{
    return bytes.size() >= signature.size() &&
           std::memcmp(bytes.data(), signature.data(), signature.size()) == 0;
}

std::string hexPrefix(std::span<const uint8_t> bytes)
{
    std::string text;
    for (size_t i = 0; i < bytes.size() && i < 8; ++i) {
        std::array<char, 4> hex{};
        std::snprintf(hex.data(), hex.size(), "%02x ", bytes[i]);
        text += hex.data();
    }
    if (!text.empty())
        text.pop_back();
    return text;
}

} // namespace

Image decodeImage(std::span<const uint8_t> bytes, unsigned minWidth)
{
    static constexpr std::array<uint8_t, 3> kJpegSignature{0xff, 0xd8, 0xff};
    static constexpr std::array<uint8_t, 8> kPngSignature{0x89, 'P',  'N',  'G',
                                                          '\r', '\n', 0x1a, '\n'};

    if (bytes.empty())
        throw RunError("not an image: no data");
    if (startsWith(bytes, kJpegSignature))
        return decodeJpeg(bytes, minWidth);
    if (startsWith(bytes, kPngSignature))
        return decodePng(bytes);
    if (isDng(bytes))
        return rgbFromBayer(readDng(bytes).raw);
    throw RunError("not a JPEG, PNG or DNG image (starts with " + hexPrefix(bytes) + ")");
}

ImageSize imageSize(std::span<const uint8_t> bytes)
{
    static constexpr std::array<uint8_t, 3> kJpegSignature{0xff, 0xd8, 0xff};
    static constexpr std::array<uint8_t, 8> kPngSignature{0x89, 'P',  'N',  'G',
                                                          '\r', '\n', 0x1a, '\n'};
    if (startsWith(bytes, kJpegSignature))
        return jpegSize(bytes);
    /* PNG: the signature, then the IHDR chunk (length, "IHDR", width, height big-endian). */
    if (startsWith(bytes, kPngSignature) && bytes.size() >= 24 &&
        std::equal(bytes.begin() + 12, bytes.begin() + 16, "IHDR")) {
        const auto be32 = [&](std::size_t at) {
            return (unsigned(bytes[at]) << 24) | (unsigned(bytes[at + 1]) << 16) |
                   (unsigned(bytes[at + 2]) << 8) | unsigned(bytes[at + 3]);
        };
        return {be32(16), be32(20)};
    }
    if (isDng(bytes)) {
        const RawImage raw = readDng(bytes).raw;
        return {raw.width, raw.height};
    }
    throw RunError("not a JPEG, PNG or DNG image (starts with " + hexPrefix(bytes) + ")");
}

Image readImageFile(const std::string &path, unsigned minWidth)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw RunError(path + ": cannot open: " + std::strerror(errno));
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
    if (in.bad())
        throw RunError(path + ": read error: " + std::strerror(errno));
    try {
        return decodeImage(bytes, minWidth);
    } catch (const RunError &error) {
        throw RunError(path + ": " + error.what());
    }
}

} // namespace lockstep
