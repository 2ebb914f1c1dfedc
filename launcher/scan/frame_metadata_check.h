/* A manifest line against what its frame file says of its own capture, written with the frame
 * before its line: a line edited afterwards no longer matches. JPEG and PNG carry it as EXIF
 * (image/capture_exif.h), a DNG in its own tags (image/dng_file.h). */
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "scan/manifest.h"

namespace lockstep
{

/* Each mismatch as text, without the file's name; empty when they agree. */
std::vector<std::string> exifProblems(const FrameRecord &record, std::span<const uint8_t> file);
std::vector<std::string> dngProblems(const FrameRecord &record, std::span<const uint8_t> file);

} // namespace lockstep
