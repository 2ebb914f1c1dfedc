/* An 8-bit RGB image in memory (R,G,B bytes, rows packed), and its codecs: JPEG through
 * libjpeg-turbo's TurboJPEG API, PNG through libpng. */
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace lockstep
{

struct Image {
    unsigned width = 0;
    unsigned height = 0;
    std::vector<uint8_t> rgb; /* width * height * 3 */

    Image() = default;
    Image(unsigned w, unsigned h) : width(w), height(h), rgb(size_t(w) * h * 3) {}
    uint8_t *pixel(unsigned x, unsigned y) { return &rgb[(size_t(y) * width + x) * 3]; }
    const uint8_t *pixel(unsigned x, unsigned y) const { return &rgb[(size_t(y) * width + x) * 3]; }
};

/* Throw RunError on failure. */
std::vector<uint8_t> encodeJpeg(const Image &image, int quality);
std::vector<uint8_t> encodePng(const Image &image);
/* Decodes JPEG, PNG or DNG (by signature) to RGB (a DNG's mosaic as image/bayer.h shows it).
 * minWidth > 0 (thumbnails): a JPEG may come out smaller, down to an eighth, but at least that
 * wide; a PNG always whole. */
Image decodeImage(std::span<const uint8_t> bytes, unsigned minWidth = 0);
Image readImageFile(const std::string &path, unsigned minWidth = 0);

/* Width and height from a JPEG's or PNG's header alone, without decoding (a DNG is read whole);
 * throws RunError. */
struct ImageSize {
    unsigned width = 0;
    unsigned height = 0;
};
ImageSize imageSize(std::span<const uint8_t> bytes);

/* Box-filter downscale, for contact sheets. */
Image downscale(const Image &image, unsigned width, unsigned height);

} // namespace lockstep
