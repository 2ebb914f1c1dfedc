#include "image/exif_date_time.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace lockstep
{

std::pair<std::string, std::string> exifDateTime(RealtimeInstant t)
{
    const int64_t ns = wireNanos(t);
    const time_t seconds = time_t(ns / 1'000'000'000);
    tm utc{};
    gmtime_r(&seconds, &utc);
    char date[20];
    std::strftime(date, sizeof date, "%Y:%m:%d %H:%M:%S", &utc);
    char micros[24];
    std::snprintf(micros, sizeof micros, "%06lld", static_cast<long long>(ns / 1000 % 1'000'000));
    return {date, micros};
}

std::optional<RealtimeInstant> parseExifDateTime(const std::string &date, const std::string &micros)
{
    tm utc{};
    const char *end = strptime(date.c_str(), "%Y:%m:%d %H:%M:%S", &utc);
    if (end == nullptr || *end != '\0' || micros.size() != 6)
        return std::nullopt;
    char *rest = nullptr;
    const long long us = std::strtoll(micros.c_str(), &rest, 10);
    if (*rest != '\0')
        return std::nullopt;
    return RealtimeInstant(std::chrono::seconds(timegm(&utc)) + Microseconds(us));
}

} // namespace lockstep
