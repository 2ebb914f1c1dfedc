/* PNG through libpng's simplified API, which reports errors in png_image::message instead of
 * longjmp-ing through our frames. */
#include <string>

#include <png.h>

#include "image/codecs.h"
#include "image/image.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

/* Frees libpng's state however we leave the scope. */
class PngImage
{
public:
    PngImage() { image_.version = PNG_IMAGE_VERSION; }
    ~PngImage() { png_image_free(&image_); }
    PngImage(const PngImage &) = delete;
    PngImage &operator=(const PngImage &) = delete;

    png_image *get() { return &image_; }
    png_image *operator->() { return &image_; }

private:
    png_image image_{};
};

} // namespace

std::vector<uint8_t> encodePng(const Image &image)
{
    checkImageShape(image, "encode PNG");

    PngImage png;
    png->width = image.width;
    png->height = image.height;
    png->format = PNG_FORMAT_RGB;

    /* One pass into a buffer of the worst-case size, instead of libpng's size-query pass
     * (which would compress everything twice). */
    std::vector<uint8_t> out(PNG_IMAGE_PNG_SIZE_MAX(*png.get()));
    png_alloc_size_t size = out.size();
    if (!png_image_write_to_memory(png.get(), out.data(), &size, 0, image.rgb.data(), 0, nullptr))
        throw RunError(std::string("cannot encode PNG: ") + png->message);
    out.resize(size);
    return out;
}

Image decodePng(std::span<const uint8_t> bytes)
{
    PngImage png;
    if (!png_image_begin_read_from_memory(png.get(), bytes.data(), bytes.size()))
        throw RunError(std::string("corrupt PNG: ") + png->message);
    checkDecodedSize("PNG", png->width, png->height);

    /* libpng converts grey, palette, alpha and 16-bit images to 8-bit RGB here. */
    png->format = PNG_FORMAT_RGB;
    Image image(png->width, png->height);
    if (!png_image_finish_read(png.get(), nullptr, image.rgb.data(), 0, nullptr))
        throw RunError(std::string("corrupt PNG: ") + png->message);
    return image;
}

} // namespace lockstep
