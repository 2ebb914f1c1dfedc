#include "gpio/inherited_gpio.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <optional>
#include <string_view>

#include "util/errors.h"

namespace lockstep
{

namespace
{

constexpr size_t kMaxEntries = 4;
constexpr size_t kMaxLines = 64; /* GPIO_V2_LINES_MAX and GPIOHANDLES_MAX */
constexpr unsigned kMaxOffset = 65535;

std::vector<std::string_view> split(std::string_view text, char separator)
{
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (;;) {
        const size_t end = text.find(separator, start);
        parts.push_back(text.substr(start, end - start));
        if (end == std::string_view::npos)
            return parts;
        start = end + 1;
    }
}

std::optional<unsigned> number(std::string_view text, unsigned max)
{
    unsigned value = 0;
    const char *end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end || value > max)
        return std::nullopt;
    return value;
}

[[noreturn]] void bad(const std::string &text, const std::string &why)
{
    /* The value comes from the environment: quote only a short, printable part of it. */
    std::string shown;
    for (char c : text.substr(0, 64))
        shown += (c >= 0x20 && c < 0x7f) ? c : '?';
    throw InputError(std::string(kInheritedGpioVariable) + "='" + shown +
                     (text.size() > 64 ? "...'" : "'") + ": " + why);
}

} // namespace

std::string describeInheritedGpio(const std::vector<UapiRequest> &requests)
{
    std::string text;
    for (const UapiRequest &request : requests) {
        if (!text.empty())
            text += ';';
        text += std::to_string(request.fd.get()) + ':' + uapiName(request.api) + ':';
        for (size_t i = 0; i < request.offsets.size(); ++i)
            text += (i ? "," : "") + std::to_string(request.offsets[i]);
    }
    return text;
}

std::vector<UapiRequest> parseInheritedGpio(const std::string &text)
{
    std::vector<UapiRequest> requests;
    std::vector<int> fds; /* given to the requests only once all of the text is valid */
    std::vector<unsigned> seen;
    const auto entries = split(text, ';');
    if (entries.size() > kMaxEntries)
        bad(text, "more than " + std::to_string(kMaxEntries) + " line requests");
    for (std::string_view entry : entries) {
        const auto fields = split(entry, ':');
        if (fields.size() != 3)
            bad(text, "each request is <fd>:<v1|v2>:<offset>,<offset>...");
        UapiRequest request;
        const auto fd = number(fields[0], 1u << 20);
        if (!fd || *fd < 3)
            bad(text, "'" + std::string(fields[0]) + "' is not a descriptor number above 2");
        if (fields[1] == "v2")
            request.api = GpioUapi::V2;
        else if (fields[1] == "v1")
            request.api = GpioUapi::V1;
        else
            bad(text, "uAPI version '" + std::string(fields[1]) + "' is not v1 or v2");
        for (std::string_view item : split(fields[2], ',')) {
            const auto offset = number(item, kMaxOffset);
            if (!offset)
                bad(text, "'" + std::string(item) + "' is not a GPIO line offset");
            if (std::find(seen.begin(), seen.end(), *offset) != seen.end())
                bad(text, "GPIO " + std::to_string(*offset) + " is listed twice");
            seen.push_back(*offset);
            request.offsets.push_back(*offset);
        }
        if (request.offsets.size() > kMaxLines)
            bad(text, "more than " + std::to_string(kMaxLines) + " lines in one request");
        if (std::find(fds.begin(), fds.end(), static_cast<int>(*fd)) != fds.end())
            bad(text, "descriptor " + std::to_string(*fd) + " is listed twice");
        fds.push_back(static_cast<int>(*fd));
        requests.push_back(std::move(request));
    }
    for (size_t i = 0; i < requests.size(); ++i)
        requests[i].fd.reset(fds[i]);
    return requests;
}

const std::vector<UapiRequest> *inheritedGpioRequests()
{
    static std::mutex mutex;
    static std::optional<std::vector<UapiRequest>> adopted;
    std::lock_guard lock(mutex);
    if (adopted)
        return &*adopted;
    const char *value = std::getenv(kInheritedGpioVariable);
    if (!value)
        return nullptr;
    std::vector<UapiRequest> requests = parseInheritedGpio(value);
    for (UapiRequest &request : requests) {
        const int flags = fcntl(request.fd.get(), F_GETFD);
        if (flags < 0) {
            const int fd = request.fd.release();
            for (UapiRequest &other : requests)
                other.fd.release(); /* not ours to close: the environment may lie */
            throw InputError(std::string(kInheritedGpioVariable) + " names descriptor " +
                             std::to_string(fd) + ", which this process does not have open (" +
                             std::strerror(errno) + ")");
        }
        fcntl(request.fd.get(), F_SETFD, flags | FD_CLOEXEC);
    }
    adopted = std::move(requests);
    return &*adopted;
}

} // namespace lockstep
