/* How a frame was taken, stored in the frame's own file as EXIF, the tags any viewer shows (and
 * rpicam-apps writes): ExposureTime, ISOSpeedRatings (gain x 100), PixelXDimension and
 * PixelYDimension, Model (the camera), DateTimeOriginal with SubSecTimeOriginal (the sensor
 * timestamp, UTC). JPEG carries it in an APP1 segment, PNG in an eXIf chunk (PNG 1.5); both hold
 * the same block, built and read with libexif. `verify` compares it with the manifest, so a
 * manifest line edited after the fact no longer matches its frame. */
#pragma once

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
/* A copy of an encoded JPEG or PNG with the block added: JPEG, an APP1 segment after SOI (and
 * after a JFIF APP0, as the Exif specification allows readers to expect); PNG, an eXIf chunk
 * right after IHDR (before any IDAT, as the PNG specification requires). The encoders' own
 * simple APIs (TurboJPEG's tjCompress2, libpng's png_image) have no place for it. Throws
 * RunError for a file that is neither. */
std::vector<uint8_t> withExif(std::span<const uint8_t> file, const CaptureExif &exif);
/* From a JPEG's APP1 or a PNG's eXIf chunk (by signature); std::nullopt when the file has no
 * EXIF or lacks one of the tags above. */
std::optional<CaptureExif> readCaptureExif(std::span<const uint8_t> file);
/* From an EXIF block as exifBlock() makes it (with or without the "Exif\0\0" prefix). */
std::optional<CaptureExif> parseExifBlock(std::span<const uint8_t> block);

} // namespace lockstep
