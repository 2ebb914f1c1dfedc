/* EXIF's way of writing an instant: DateTimeOriginal "YYYY:MM:DD HH:MM:SS" and
 * SubSecTimeOriginal, here always six digits (microseconds), both UTC. Shared by the EXIF of
 * JPEG and PNG frames (libexif) and by DNG files (libtiff). */
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "util/chrono_clocks.h"

namespace lockstep
{

/* The date and time, and the microseconds ("%06d"). */
std::pair<std::string, std::string> exifDateTime(RealtimeInstant t);
/* The instant back; std::nullopt unless both strings have exactly that form. */
std::optional<RealtimeInstant> parseExifDateTime(const std::string &date,
                                                 const std::string &micros);

} // namespace lockstep
