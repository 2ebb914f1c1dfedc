/* A raw frame as a DNG file (Adobe's raw format, a TIFF), as rpicam-apps writes one: the Bayer
 * mosaic in 16-bit uncompressed strips (PhotometricInterpretation CFA, so every sample is
 * stored exactly), its CFA pattern, black and white levels and the colour gains (AsShotNeutral)
 * in IFD0, and the capture facts any viewer shows, as in the EXIF of a JPEG: Model (the
 * camera), Make (the sensor), and in the EXIF sub-IFD ExposureTime, ISOSpeedRatings (gain x
 * 100) and DateTimeOriginal with SubSecTimeOriginal (the sensor timestamp, UTC). Written and
 * read with libtiff, in memory. */
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "image/raw_image.h"
#include "util/chrono_clocks.h"

namespace lockstep
{

struct DngMetadata {
    Microseconds exposure{0}; /* read back to the microsecond up to 8 s (EXIF's float) */
    double gain = 0;          /* stored as ISO, so to 0.01 */
    std::string camera; /* "node/camera": UniqueCameraModel and Model, as the EXIF Model of JPEGs */
    std::string sensorModel;         /* e.g. "imx708" or "simulated": Make */
    RealtimeInstant sensorTimestamp; /* stored to the microsecond, UTC */
    /* Colour gains: AsShotNeutral = {1/red, 1, 1/blue}, read back to a relative 1e-6. */
    double redGain = 1.0, blueGain = 1.0;
};

/* The DNG file. Throws RunError for an image that is not consistent (no pixels, a sample
 * count other than width x height, a bit depth outside 1-16) or that libtiff refuses. */
std::vector<uint8_t> encodeDng(const RawImage &raw, const DngMetadata &meta);

struct DngContents {
    RawImage raw;
    DngMetadata meta;
};
/* A DNG as encodeDng() writes it (IFD0 the raw mosaic, 16 bits, uncompressed or any compression
 * libtiff decodes, a 2x2 CFA). Throws RunError naming what is wrong: not a TIFF, not a DNG, a
 * missing tag, a mosaic it cannot take, too few samples. */
DngContents readDng(std::span<const uint8_t> file);

/* A TIFF whose IFD0 has a DNGVersion tag. */
bool isDng(std::span<const uint8_t> file);

} // namespace lockstep
