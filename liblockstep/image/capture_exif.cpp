#include "image/capture_exif.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <libexif/exif-data.h>
#include <memory>
#include <png.h>
#include <zlib.h>

#include "image/exif_date_time.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

constexpr uint8_t kExifPrefix[] = {'E', 'x', 'i', 'f', 0, 0};
constexpr ExifByteOrder kOrder = EXIF_BYTE_ORDER_INTEL;

struct ExifDataUnref {
    void operator()(ExifData *data) const { exif_data_unref(data); }
};
using ExifDataPtr = std::unique_ptr<ExifData, ExifDataUnref>;

/* The entry for `tag` in `ifd`, created with the tag's default format and size. */
ExifEntry *entry(ExifData *data, ExifIfd ifd, ExifTag tag)
{
    if (ExifEntry *existing = exif_content_get_entry(data->ifd[ifd], tag))
        return existing;
    ExifEntry *created = exif_entry_new();
    if (created == nullptr)
        throw RunError("EXIF: out of memory");
    created->tag = tag;
    exif_content_add_entry(data->ifd[ifd], created);
    exif_entry_initialize(created, tag);
    exif_entry_unref(created); /* the IFD holds it now */
    return created;
}

/* An entry of `format` with room for `components`, replacing any default one. */
ExifEntry *sizedEntry(ExifData *data, ExifIfd ifd, ExifTag tag, ExifFormat format,
                      unsigned components)
{
    if (ExifEntry *old = exif_content_get_entry(data->ifd[ifd], tag))
        exif_content_remove_entry(data->ifd[ifd], old);
    ExifEntry *created = exif_entry_new();
    if (created == nullptr)
        throw RunError("EXIF: out of memory");
    const unsigned size = exif_format_get_size(format) * components;
    created->data = static_cast<unsigned char *>(calloc(1, size)); /* freed by libexif */
    if (created->data == nullptr) {
        exif_entry_unref(created);
        throw RunError("EXIF: out of memory");
    }
    created->tag = tag;
    created->format = format;
    created->components = components;
    created->size = size;
    exif_content_add_entry(data->ifd[ifd], created);
    exif_entry_unref(created);
    return created;
}

void setAscii(ExifData *data, ExifIfd ifd, ExifTag tag, const std::string &text)
{
    ExifEntry *e = sizedEntry(data, ifd, tag, EXIF_FORMAT_ASCII, unsigned(text.size() + 1));
    std::memcpy(e->data, text.c_str(), text.size() + 1);
}

std::string ascii(const ExifEntry *e)
{
    if (e == nullptr || e->format != EXIF_FORMAT_ASCII || e->size == 0)
        return {};
    return std::string(reinterpret_cast<const char *>(e->data),
                       strnlen(reinterpret_cast<const char *>(e->data), e->size));
}

std::optional<unsigned> unsignedValue(const ExifEntry *e, ExifByteOrder order)
{
    if (e == nullptr || e->components != 1)
        return std::nullopt;
    if (e->format == EXIF_FORMAT_SHORT)
        return exif_get_short(e->data, order);
    if (e->format == EXIF_FORMAT_LONG)
        return exif_get_long(e->data, order);
    return std::nullopt;
}

/* The eXIf chunk of a PNG, read with libpng. */
std::optional<std::vector<uint8_t>> pngExif(std::span<const uint8_t> file)
{
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    if (png == nullptr)
        return std::nullopt;
    png_infop info = png_create_info_struct(png);
    struct Reader {
        std::span<const uint8_t> bytes;
        size_t at = 0;
    } reader{file};
    std::optional<std::vector<uint8_t>> result;
    if (info != nullptr && setjmp(png_jmpbuf(png)) == 0) {
        png_set_read_fn(png, &reader, [](png_structp p, png_bytep out, size_t n) {
            auto *r = static_cast<Reader *>(png_get_io_ptr(p));
            if (r->at + n > r->bytes.size())
                png_error(p, "truncated");
            std::memcpy(out, r->bytes.data() + r->at, n);
            r->at += n;
        });
        png_read_info(png, info);
        png_uint_32 size = 0;
        png_bytep data = nullptr;
        if (png_get_eXIf_1(png, info, &size, &data) != 0 && data != nullptr)
            result.emplace(data, data + size);
    }
    png_destroy_read_struct(&png, info != nullptr ? &info : nullptr, nullptr);
    return result;
}

} // namespace

std::vector<uint8_t> exifBlock(const CaptureExif &exif)
{
    ExifDataPtr data(exif_data_new());
    if (!data)
        throw RunError("EXIF: out of memory");
    exif_data_set_option(data.get(), EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
    exif_data_set_data_type(data.get(), EXIF_DATA_TYPE_COMPRESSED);
    exif_data_set_byte_order(data.get(), kOrder);
    exif_data_fix(data.get());

    exif_set_rational(entry(data.get(), EXIF_IFD_EXIF, EXIF_TAG_EXPOSURE_TIME)->data, kOrder,
                      ExifRational{ExifLong(exif.exposure.count()), 1'000'000});
    exif_set_short(entry(data.get(), EXIF_IFD_EXIF, EXIF_TAG_ISO_SPEED_RATINGS)->data, kOrder,
                   ExifShort(std::lround(std::clamp(exif.gain, 0.0, 655.0) * 100)));
    exif_set_long(
        sizedEntry(data.get(), EXIF_IFD_EXIF, EXIF_TAG_PIXEL_X_DIMENSION, EXIF_FORMAT_LONG, 1)
            ->data,
        kOrder, exif.width);
    exif_set_long(
        sizedEntry(data.get(), EXIF_IFD_EXIF, EXIF_TAG_PIXEL_Y_DIMENSION, EXIF_FORMAT_LONG, 1)
            ->data,
        kOrder, exif.height);
    setAscii(data.get(), EXIF_IFD_0, EXIF_TAG_MODEL, exif.camera);
    const auto [date, micros] = exifDateTime(exif.sensorTimestamp);
    setAscii(data.get(), EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL, date);
    setAscii(data.get(), EXIF_IFD_EXIF, EXIF_TAG_SUB_SEC_TIME_ORIGINAL, micros);

    unsigned char *bytes = nullptr;
    unsigned int size = 0;
    exif_data_save_data(data.get(), &bytes, &size);
    if (bytes == nullptr)
        throw RunError("EXIF: libexif could not save the block");
    std::vector<uint8_t> block(bytes, bytes + size);
    free(bytes);
    return block;
}

namespace
{

std::optional<CaptureExif> fromData(ExifData *d)
{
    const ExifByteOrder order = exif_data_get_byte_order(d);
    const ExifEntry *exposure = exif_data_get_entry(d, EXIF_TAG_EXPOSURE_TIME);
    const auto iso = unsignedValue(exif_data_get_entry(d, EXIF_TAG_ISO_SPEED_RATINGS), order);
    const auto width = unsignedValue(exif_data_get_entry(d, EXIF_TAG_PIXEL_X_DIMENSION), order);
    const auto height = unsignedValue(exif_data_get_entry(d, EXIF_TAG_PIXEL_Y_DIMENSION), order);
    const auto when =
        parseExifDateTime(ascii(exif_data_get_entry(d, EXIF_TAG_DATE_TIME_ORIGINAL)),
                          ascii(exif_data_get_entry(d, EXIF_TAG_SUB_SEC_TIME_ORIGINAL)));
    if (exposure == nullptr || exposure->format != EXIF_FORMAT_RATIONAL ||
        exposure->components != 1 || !iso || !width || !height || !when)
        return std::nullopt;
    const ExifRational r = exif_get_rational(exposure->data, order);
    if (r.denominator == 0)
        return std::nullopt;
    CaptureExif exif;
    exif.exposure = Microseconds(std::llround(double(r.numerator) * 1e6 / r.denominator));
    exif.gain = *iso / 100.0;
    exif.width = *width;
    exif.height = *height;
    exif.camera = ascii(exif_data_get_entry(d, EXIF_TAG_MODEL));
    exif.sensorTimestamp = *when;
    return exif;
}

} // namespace

namespace
{

void appendBigEndian32(std::vector<uint8_t> &out, uint32_t value)
{
    for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(uint8_t(value >> shift));
}

/* A few literal bytes, one at a time: g++ 12 at -O3 takes a vector insert of an initializer
 * list into a freshly reserved vector for an overflow (-Wstringop-overflow, a false positive
 * that -Werror turns into a failed Release build). */
void appendBytes(std::vector<uint8_t> &out, std::initializer_list<uint8_t> bytes)
{
    for (const uint8_t byte : bytes)
        out.push_back(byte);
}

} // namespace

ExifInsert exifInsert(std::span<const uint8_t> file, const CaptureExif &exif)
{
    const std::vector<uint8_t> block = exifBlock(exif);
    constexpr uint8_t kPng[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    ExifInsert insert;
    std::vector<uint8_t> &out = insert.bytes;
    if (file.size() >= 33 && std::memcmp(file.data(), kPng, sizeof kPng) == 0 &&
        std::memcmp(file.data() + 12, "IHDR", 4) == 0) {
        /* Signature (8) and IHDR (length 4, type 4, 13 bytes, CRC 4) end at 33. */
        const std::span<const uint8_t> tiff(block.data() + sizeof kExifPrefix,
                                            block.size() - sizeof kExifPrefix);
        insert.at = 33;
        out.reserve(tiff.size() + 12);
        appendBigEndian32(out, uint32_t(tiff.size()));
        appendBytes(out, {'e', 'X', 'I', 'f'});
        out.insert(out.end(), tiff.begin(), tiff.end());
        /* The CRC covers the chunk type and data. */
        appendBigEndian32(out, uint32_t(crc32(0, out.data() + 4, uInt(out.size() - 4))));
        return insert;
    }
    if (file.size() >= 4 && file[0] == 0xff && file[1] == 0xd8) {
        size_t at = 2;
        if (file.size() >= 6 && file[2] == 0xff && file[3] == 0xe0)
            at = 4 + (size_t(file[4]) << 8 | file[5]);
        if (at > file.size() || block.size() + 2 > 0xffff)
            throw RunError("cannot add EXIF: malformed JPEG");
        insert.at = at;
        out.reserve(block.size() + 4);
        appendBytes(out, {0xff, 0xe1, uint8_t((block.size() + 2) >> 8),
                          uint8_t((block.size() + 2) & 0xff)});
        out.insert(out.end(), block.begin(), block.end());
        return insert;
    }
    throw RunError("cannot add EXIF: neither JPEG nor PNG");
}

std::vector<uint8_t> withExif(std::span<const uint8_t> file, const CaptureExif &exif)
{
    const ExifInsert insert = exifInsert(file, exif);
    std::vector<uint8_t> out;
    out.reserve(file.size() + insert.bytes.size());
    for (const std::span<const uint8_t> piece : insert.pieces(file))
        out.insert(out.end(), piece.begin(), piece.end());
    return out;
}

std::optional<CaptureExif> parseExifBlock(std::span<const uint8_t> block)
{
    std::vector<uint8_t> prefixed;
    if (block.size() < sizeof kExifPrefix ||
        std::memcmp(block.data(), kExifPrefix, sizeof kExifPrefix) != 0) {
        prefixed.assign(std::begin(kExifPrefix), std::end(kExifPrefix));
        prefixed.insert(prefixed.end(), block.begin(), block.end());
        block = prefixed;
    }
    const ExifDataPtr data(exif_data_new_from_data(block.data(), unsigned(block.size())));
    return data ? fromData(data.get()) : std::nullopt;
}

std::optional<CaptureExif> readCaptureExif(std::span<const uint8_t> file)
{
    constexpr uint8_t kPng[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (file.size() >= sizeof kPng && std::memcmp(file.data(), kPng, sizeof kPng) == 0) {
        const auto block = pngExif(file);
        return block ? parseExifBlock(*block) : std::nullopt;
    }
    /* A JPEG: libexif finds the APP1 segment among the markers itself. */
    const ExifDataPtr data(exif_data_new_from_data(file.data(), unsigned(file.size())));
    return data ? fromData(data.get()) : std::nullopt;
}

} // namespace lockstep
