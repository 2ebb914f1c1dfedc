/* How a frame was taken, stored in the frame's own file as EXIF, the tags any viewer shows (and
 * rpicam-apps writes): ExposureTime, ISOSpeedRatings (gain x 100), PixelXDimension and
 * PixelYDimension, Model (the camera), DateTimeOriginal with SubSecTimeOriginal (the sensor
 * timestamp, UTC). JPEG carries it in an APP1 segment, PNG in an eXIf chunk (PNG 1.5); both hold
 * the same block, built and read with libexif. `verify` compares it with the manifest, so a
 * manifest line edited after the fact no longer matches its frame. */
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "util/chrono_clocks.h"

namespace lockstep
{

struct CaptureExif {
    Microseconds exposure{0};
    double gain = 0; /* stored as ISO, so to 0.01 */
    unsigned width = 0;
    unsigned height = 0;
    std::string camera;
    RealtimeInstant sensorTimestamp; /* stored to the microsecond */
};

/* The EXIF block: "Exif\0\0" and the TIFF structure (an APP1 segment's payload). Throws
 * RunError if libexif cannot build it. */
std::vector<uint8_t> exifBlock(const CaptureExif &exif);
/* Where the block goes in an encoded JPEG or PNG, and the bytes that carry it there: JPEG, an
 * APP1 segment after SOI (and after a JFIF APP0, as the Exif specification allows readers to
 * expect); PNG, an eXIf chunk right after IHDR (before any IDAT, as the PNG specification
 * requires). The encoders' own simple APIs (TurboJPEG's, libpng's png_image) have no place for
 * it. The file with `bytes` inserted at `at` is the tagged file: a writer writes the three
 * pieces (pieces()) without copying the frame. Throws RunError for a file that is neither. */
struct ExifInsert {
    size_t at = 0;
    std::vector<uint8_t> bytes;

    /* file[0, at), the segment or chunk, file[at, end). */
    std::array<std::span<const uint8_t>, 3> pieces(std::span<const uint8_t> file) const
    {
        return {file.first(at), std::span<const uint8_t>(bytes), file.subspan(at)};
    }
};
ExifInsert exifInsert(std::span<const uint8_t> file, const CaptureExif &exif);
/* The three pieces in one buffer: a copy of the file with the block added. */
std::vector<uint8_t> withExif(std::span<const uint8_t> file, const CaptureExif &exif);
/* From a JPEG's APP1 or a PNG's eXIf chunk (by signature); std::nullopt when the file has no
 * EXIF or lacks one of the tags above. */
std::optional<CaptureExif> readCaptureExif(std::span<const uint8_t> file);
/* From an EXIF block as exifBlock() makes it (with or without the "Exif\0\0" prefix). */
std::optional<CaptureExif> parseExifBlock(std::span<const uint8_t> block);

} // namespace lockstep
