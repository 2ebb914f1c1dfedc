/* A Raspberry Pi's health as its kernel reports it: contiguous memory left for camera buffers
 * (CMA, /proc/meminfo) and the firmware's under-voltage and throttling flags. Parsers take the
 * files' text so that tests can give fixtures. */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "commands/selftest_report.h"

namespace lockstep
{

struct CmaState {
    uint64_t totalKiB = 0;
    uint64_t freeKiB = 0;
};

/* CmaTotal and CmaFree from /proc/meminfo's text; nullopt when the kernel has no CMA. */
std::optional<CmaState> parseCma(const std::string &meminfo);

/* The firmware's throttling word: bits 0-3 now, 16-19 since boot (under-voltage, ARM frequency
 * capped, throttled, soft temperature limit). Parses the sysfs file ("50005", hex without 0x)
 * and `vcgencmd get_throttled` ("throttled=0x50005"). nullopt if neither form. */
std::optional<uint32_t> parseThrottled(const std::string &text);

/* Reads the word where this kernel has it: /sys/devices/platform/soc/soc:firmware/get_throttled
 * below `root`, else `vcgencmd get_throttled` if it runs. `source` says which. */
std::optional<uint32_t> readThrottled(const std::string &root, std::string &source);

/* A camera stream of 12 MP takes about 100 MB of CMA (raw and ISP output buffers). */
constexpr uint64_t kCmaWantedKiB = 128ULL * 1024;

Finding judgeCma(const std::optional<CmaState> &cma);
Finding judgeThrottled(const std::optional<uint32_t> &word, const std::string &source);

} // namespace lockstep
