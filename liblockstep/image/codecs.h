/* The format-specific halves of decodeImage(), and the guard every decoder applies before it
 * allocates: image sizes come from untrusted headers. */
#pragma once

#include <cstdint>
#include <span>

#include "image/image.h"

namespace lockstep
{

/* Largest image any decoder accepts: well above a 12 MP sensor, small enough that a forged
 * header cannot make a 1 GB Pi allocate gigabytes. */
constexpr uint64_t kMaxDecodedPixels = 64ull * 1000 * 1000;

/* Throws RunError if width x height is empty or larger than kMaxDecodedPixels. */
void checkDecodedSize(const char *format, uint64_t width, uint64_t height);
/* Throws RunError("cannot <action>: ...") if the image is empty or its buffer does not match
 * its size. */
void checkImageShape(const Image &image, const char *action);

/* minWidth > 0: decoded at the smallest DCT scaling (1/8 .. 1) at least that wide. */
Image decodeJpeg(std::span<const uint8_t> bytes, unsigned minWidth = 0);
ImageSize jpegSize(std::span<const uint8_t> bytes);
Image decodePng(std::span<const uint8_t> bytes);

} // namespace lockstep
