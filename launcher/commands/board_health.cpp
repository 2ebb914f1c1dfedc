#include "commands/board_health.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace lockstep
{

namespace
{

std::optional<uint64_t> meminfoKiB(const std::string &meminfo, const std::string &key)
{
    std::istringstream in(meminfo);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key + ":", 0) != 0)
            continue;
        char *end = nullptr;
        const unsigned long long value = std::strtoull(line.c_str() + key.size() + 1, &end, 10);
        if (end == line.c_str() + key.size() + 1)
            return std::nullopt;
        return value;
    }
    return std::nullopt;
}

std::string mib(uint64_t kib)
{
    return std::to_string(kib / 1024) + " MiB";
}

} // namespace

std::optional<CmaState> parseCma(const std::string &meminfo)
{
    const auto total = meminfoKiB(meminfo, "CmaTotal");
    const auto free = meminfoKiB(meminfo, "CmaFree");
    if (!total || !free || *total == 0)
        return std::nullopt;
    return CmaState{*total, *free};
}

std::optional<uint32_t> parseThrottled(const std::string &text)
{
    std::string value = text;
    if (const auto eq = value.find('='); eq != std::string::npos)
        value.erase(0, eq + 1);
    while (!value.empty() && (value.back() == '\n' || value.back() == ' '))
        value.pop_back();
    if (value.empty())
        return std::nullopt;
    char *end = nullptr;
    const unsigned long word = std::strtoul(value.c_str(), &end, 16);
    if (*end != '\0' || word > 0xffffffffUL)
        return std::nullopt;
    return static_cast<uint32_t>(word);
}

std::optional<uint32_t> readThrottled(const std::string &root, std::string &source)
{
    const std::string sysfs = root + "/sys/devices/platform/soc/soc:firmware/get_throttled";
    if (std::ifstream in(sysfs); in) {
        std::ostringstream text;
        text << in.rdbuf();
        source = "get_throttled";
        return parseThrottled(text.str());
    }
    /* vcgencmd asks the firmware through /dev/vcio; absent or failing elsewhere. */
    if (root == "/") {
        if (FILE *pipe = popen("vcgencmd get_throttled 2>/dev/null", "r")) {
            std::array<char, 64> buffer{};
            const size_t n = std::fread(buffer.data(), 1, buffer.size() - 1, pipe);
            if (pclose(pipe) == 0) {
                source = "vcgencmd";
                return parseThrottled(std::string(buffer.data(), n));
            }
        }
    }
    source.clear();
    return std::nullopt;
}

Finding judgeCma(const std::optional<CmaState> &cma)
{
    if (!cma)
        return {Verdict::Skip, "board", "CMA: none in this kernel (not a Raspberry Pi kernel)"};
    const std::string text = "CMA " + mib(cma->freeKiB) + " free of " + mib(cma->totalKiB);
    if (cma->freeKiB >= kCmaWantedKiB)
        return {Verdict::Pass, "board", text};
    return {Verdict::Warn, "board",
            text + ": a 12 MP camera stream needs about 100 MB; dtoverlay=vc4-kms-v3d,cma-512"};
}

Finding judgeThrottled(const std::optional<uint32_t> &word, const std::string &source)
{
    if (!word)
        return {Verdict::Skip, "board",
                "under-voltage/throttling: unknown (no get_throttled file, no vcgencmd)"};
    static const std::array<const char *, 4> kNames{"under-voltage", "ARM frequency capped",
                                                    "throttled", "soft temperature limit"};
    std::string now;
    std::string past;
    for (unsigned bit = 0; bit < kNames.size(); ++bit) {
        if (*word & (1U << bit))
            now += (now.empty() ? "" : ", ") + std::string(kNames[bit]);
        if (*word & (1U << (bit + 16)))
            past += (past.empty() ? "" : ", ") + std::string(kNames[bit]);
    }
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%x", *word);
    const std::string head = "throttled=" + std::string(hex) + " (" + source + ")";
    if (!now.empty())
        return {Verdict::Fail, "board",
                head + ": now " + now + ": use the official power supply, cool the board"};
    if (!past.empty())
        return {Verdict::Warn, "board", head + ": since boot " + past};
    return {Verdict::Pass, "board", head + ": no under-voltage or throttling since boot"};
}

} // namespace lockstep
