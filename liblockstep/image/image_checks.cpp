/* Size checks shared by the codecs and the scaler. */
#include <string>

#include "image/codecs.h"
#include "util/errors.h"

namespace lockstep
{

void checkDecodedSize(const char *format, uint64_t width, uint64_t height)
{
    if (width == 0 || height == 0 || width * height > kMaxDecodedPixels)
        throw RunError(std::string(format) + " image of " + std::to_string(width) + "x" +
                       std::to_string(height) + " pixels is empty or larger than the " +
                       std::to_string(kMaxDecodedPixels / 1'000'000) + " MP limit");
}

void checkImageShape(const Image &image, const char *action)
{
    if (image.width == 0 || image.height == 0 ||
        image.rgb.size() != size_t(image.width) * image.height * 3)
        throw RunError(std::string("cannot ") + action + ": empty or inconsistent image (" +
                       std::to_string(image.width) + "x" + std::to_string(image.height) + ", " +
                       std::to_string(image.rgb.size()) + " bytes)");
}

} // namespace lockstep
