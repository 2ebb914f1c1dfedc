#include "gpio/uapi_lines.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/gpio.h>
#include <mutex>
#include <sys/ioctl.h>

#include "gpio/spin_lock.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

std::string offsetList(const std::vector<unsigned> &offsets)
{
    std::string text;
    for (unsigned offset : offsets)
        text += (text.empty() ? "" : ",") + std::to_string(offset);
    return text;
}

void copyConsumer(char (&to)[GPIO_MAX_NAME_SIZE], const std::string &consumer)
{
    const size_t n = std::min(consumer.size(), sizeof(to) - 1);
    std::memcpy(to, consumer.data(), n);
    to[n] = '\0';
}

/* An interrupted ioctl is repeated; anything else is the caller's error. */
int retryIoctl(int fd, unsigned long request, void *arg)
{
    int rc = 0;
    do
        rc = ioctl(fd, request, arg);
    while (rc < 0 && errno == EINTR);
    return rc;
}

LineBias biasAt(const std::vector<LineBias> &bias, size_t i)
{
    return i < bias.size() ? bias[i] : LineBias::AsIs;
}

uint64_t v2BiasFlags(LineBias bias)
{
    switch (bias) {
    case LineBias::Disabled:
        return GPIO_V2_LINE_FLAG_BIAS_DISABLED;
    case LineBias::PullUp:
        return GPIO_V2_LINE_FLAG_BIAS_PULL_UP;
    case LineBias::PullDown:
        return GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN;
    case LineBias::AsIs:
        break;
    }
    return 0;
}

uint32_t v1BiasFlags(LineBias bias)
{
    switch (bias) {
    case LineBias::Disabled:
        return GPIOHANDLE_REQUEST_BIAS_DISABLE;
    case LineBias::PullUp:
        return GPIOHANDLE_REQUEST_BIAS_PULL_UP;
    case LineBias::PullDown:
        return GPIOHANDLE_REQUEST_BIAS_PULL_DOWN;
    case LineBias::AsIs:
        break;
    }
    return 0;
}

UapiRequest requestV2(int chipFd, const LineRequest &request)
{
    gpio_v2_line_request req = {};
    const size_t count = request.outputs.size() + request.inputs.size();
    if (count > GPIO_V2_LINES_MAX)
        throw RunError("cannot request " + std::to_string(count) + " GPIO lines at once (at most " +
                       std::to_string(GPIO_V2_LINES_MAX) + ")");
    uint64_t outputMask = 0;
    uint64_t outputBits = 0;
    UapiRequest result;
    for (size_t i = 0; i < request.outputs.size(); ++i) {
        req.offsets[i] = request.outputs[i];
        outputMask |= uint64_t{1} << i;
        if (request.initialLevels[i])
            outputBits |= uint64_t{1} << i;
        result.offsets.push_back(request.outputs[i]);
    }
    for (size_t i = 0; i < request.inputs.size(); ++i) {
        req.offsets[request.outputs.size() + i] = request.inputs[i];
        result.offsets.push_back(request.inputs[i]);
    }
    req.num_lines = static_cast<uint32_t>(count);
    copyConsumer(req.consumer, request.consumer);
    /* Each line's flags (direction and pull) as one attribute per distinct combination: at
     * most 2 directions x 4 pulls, plus the output values, within GPIO_V2_LINE_NUM_ATTRS_MAX. */
    std::vector<std::pair<uint64_t, uint64_t>> flagGroups; /* flags, mask */
    for (size_t i = 0; i < count; ++i) {
        const bool output = i < request.outputs.size();
        const uint64_t flags =
            (output ? GPIO_V2_LINE_FLAG_OUTPUT : GPIO_V2_LINE_FLAG_INPUT) |
            v2BiasFlags(output ? biasAt(request.outputBias, i)
                               : biasAt(request.inputBias, i - request.outputs.size()));
        auto group = std::find_if(flagGroups.begin(), flagGroups.end(),
                                  [&](const auto &g) { return g.first == flags; });
        if (group == flagGroups.end())
            group = flagGroups.insert(flagGroups.end(), {flags, 0});
        group->second |= uint64_t{1} << i;
    }
    req.config.flags = GPIO_V2_LINE_FLAG_INPUT;
    uint32_t attrs = 0;
    for (const auto &[flags, mask] : flagGroups) {
        req.config.attrs[attrs].attr.id = GPIO_V2_LINE_ATTR_ID_FLAGS;
        req.config.attrs[attrs].attr.flags = flags;
        req.config.attrs[attrs].mask = mask;
        ++attrs;
    }
    if (outputMask) {
        req.config.attrs[attrs].attr.id = GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES;
        req.config.attrs[attrs].attr.values = outputBits;
        req.config.attrs[attrs].mask = outputMask;
        ++attrs;
    }
    req.config.num_attrs = attrs;
    if (retryIoctl(chipFd, GPIO_V2_GET_LINE_IOCTL, &req) < 0)
        return result; /* invalid fd: errno says why */
    result.fd.reset(req.fd);
    result.api = GpioUapi::V2;
    return result;
}

/* One v1 handle: every line in one direction. */
UapiRequest requestV1(int chipFd, const std::vector<unsigned> &offsets,
                      const std::vector<uint8_t> *levels, const std::vector<LineBias> &bias,
                      const std::string &consumer)
{
    /* A v1 handle has one set of flags for all its lines. */
    const LineBias common = biasAt(bias, 0);
    for (size_t i = 1; i < offsets.size(); ++i)
        if (biasAt(bias, i) != common)
            throw RunError("this kernel has only GPIO uAPI v1, whose line handles give every "
                           "line of a direction the same pull; the rig's lines " +
                           offsetList(offsets) + " ask for different ones");
    gpiohandle_request req = {};
    if (offsets.size() > GPIOHANDLES_MAX)
        throw RunError("cannot request " + std::to_string(offsets.size()) +
                       " GPIO lines in one handle (at most " + std::to_string(GPIOHANDLES_MAX) +
                       ")");
    for (size_t i = 0; i < offsets.size(); ++i) {
        req.lineoffsets[i] = offsets[i];
        if (levels)
            req.default_values[i] = (*levels)[i] ? 1 : 0;
    }
    req.lines = static_cast<uint32_t>(offsets.size());
    req.flags =
        (levels ? GPIOHANDLE_REQUEST_OUTPUT : GPIOHANDLE_REQUEST_INPUT) | v1BiasFlags(common);
    copyConsumer(req.consumer_label, consumer);
    UapiRequest result;
    result.api = GpioUapi::V1;
    result.offsets = offsets;
    if (retryIoctl(chipFd, GPIO_GET_LINEHANDLE_IOCTL, &req) == 0)
        result.fd.reset(req.fd);
    return result;
}

constexpr size_t kMaxRequests = 4;

/* Lines are driven at PHYSICAL levels: requested without active-low, as the libgpiod backend. */
class UapiLines : public GpioLines
{
public:
    UapiLines(const std::vector<UapiRequest> &requests, const LineRequest &request);

    void set(std::span<const unsigned> offsets, std::span<const uint8_t> levels) override;
    uint8_t get(unsigned offset) override;

private:
    struct Place {
        unsigned offset = 0;
        size_t request = 0;
        unsigned index = 0; /* in the request */
        bool output = false;
    };
    struct Held {
        UniqueFd fd;
        GpioUapi api = GpioUapi::V2;
        size_t lines = 0;
        uint64_t levels = 0; /* v1: the level of every line, since a set writes them all */
    };

    const Place *find(unsigned offset) const;
    void write(const std::array<uint64_t, kMaxRequests> &bits,
               const std::array<uint64_t, kMaxRequests> &mask);
    std::string where(unsigned offset) const;

    std::vector<Held> held_;
    std::vector<Place> places_;
    SpinLock lock_;
};

UapiLines::UapiLines(const std::vector<UapiRequest> &requests, const LineRequest &request)
{
    if (requests.empty() || requests.size() > kMaxRequests)
        throw RunError(std::to_string(requests.size()) + " GPIO line requests (1 to " +
                       std::to_string(kMaxRequests) + " are possible)");
    if (request.initialLevels.size() != request.outputs.size())
        throw RunError("line request: " + std::to_string(request.outputs.size()) + " outputs but " +
                       std::to_string(request.initialLevels.size()) + " initial levels");
    for (const UapiRequest &from : requests) {
        Held held;
        held.fd.reset(fcntl(from.fd.get(), F_DUPFD_CLOEXEC, 0));
        if (!held.fd.valid())
            throw RunError("GPIO line request descriptor " + std::to_string(from.fd.get()) +
                           " (lines " + offsetList(from.offsets) + "): " + std::strerror(errno));
        held.api = from.api;
        held.lines = from.offsets.size();
        if (held.lines == 0 || held.lines > GPIO_V2_LINES_MAX)
            throw RunError("a GPIO line request of " + std::to_string(held.lines) + " lines");
        /* Proves that the descriptor answers this uAPI version's ioctls, and gives v1 the levels
         * of the lines it will rewrite. */
        int rc = 0;
        if (held.api == GpioUapi::V2) {
            gpio_v2_line_values values = {};
            values.mask = held.lines == 64 ? ~uint64_t{0} : (uint64_t{1} << held.lines) - 1;
            rc = retryIoctl(held.fd.get(), GPIO_V2_LINE_GET_VALUES_IOCTL, &values);
        } else {
            gpiohandle_data data = {};
            rc = retryIoctl(held.fd.get(), GPIOHANDLE_GET_LINE_VALUES_IOCTL, &data);
            for (size_t i = 0; i < held.lines; ++i)
                held.levels |= uint64_t{data.values[i] ? 1u : 0u} << i;
        }
        if (rc < 0)
            throw RunError("descriptor " + std::to_string(from.fd.get()) +
                           " is not a GPIO line request (uAPI " + uapiName(from.api) + ", lines " +
                           offsetList(from.offsets) + "): " + std::strerror(errno));
        for (size_t i = 0; i < from.offsets.size(); ++i)
            places_.push_back({from.offsets[i], held_.size(), static_cast<unsigned>(i), false});
        held_.push_back(std::move(held));
    }
    auto place = [&](unsigned offset) -> Place & {
        for (Place &p : places_)
            if (p.offset == offset)
                return p;
        std::vector<unsigned> held;
        for (const Place &p : places_)
            held.push_back(p.offset);
        throw RunError("GPIO " + std::to_string(offset) +
                       " is not one of the lines requested for this job step (" + offsetList(held) +
                       ")");
    };
    for (unsigned offset : request.inputs)
        place(offset);
    for (unsigned offset : request.outputs)
        place(offset).output = true;
    if (!request.outputs.empty())
        set(request.outputs, request.initialLevels);
}

const UapiLines::Place *UapiLines::find(unsigned offset) const
{
    for (const Place &p : places_)
        if (p.offset == offset)
            return &p;
    return nullptr;
}

std::string UapiLines::where(unsigned offset) const
{
    return "GPIO line " + std::to_string(offset);
}

void UapiLines::write(const std::array<uint64_t, kMaxRequests> &bits,
                      const std::array<uint64_t, kMaxRequests> &mask)
{
    std::lock_guard guard(lock_);
    for (size_t r = 0; r < held_.size(); ++r) {
        if (!mask[r])
            continue;
        Held &held = held_[r];
        int rc = 0;
        if (held.api == GpioUapi::V2) {
            gpio_v2_line_values values = {};
            values.bits = bits[r];
            values.mask = mask[r];
            rc = retryIoctl(held.fd.get(), GPIO_V2_LINE_SET_VALUES_IOCTL, &values);
        } else {
            const uint64_t levels = (held.levels & ~mask[r]) | (bits[r] & mask[r]);
            gpiohandle_data data = {};
            for (size_t i = 0; i < held.lines; ++i)
                data.values[i] = (levels >> i) & 1u;
            rc = retryIoctl(held.fd.get(), GPIOHANDLE_SET_LINE_VALUES_IOCTL, &data);
            if (rc == 0)
                held.levels = levels;
        }
        if (rc < 0)
            throw RunError(std::string("cannot set GPIO lines (uAPI ") + uapiName(held.api) +
                           "): " + std::strerror(errno));
    }
}

void UapiLines::set(std::span<const unsigned> offsets, std::span<const uint8_t> levels)
{
    if (offsets.size() != levels.size())
        throw RunError("GPIO set: " + std::to_string(offsets.size()) + " lines but " +
                       std::to_string(levels.size()) + " levels");
    std::array<uint64_t, kMaxRequests> bits = {};
    std::array<uint64_t, kMaxRequests> mask = {};
    for (size_t i = 0; i < offsets.size(); ++i) {
        const Place *p = find(offsets[i]);
        if (!p || !p->output)
            throw RunError("GPIO set: " + where(offsets[i]) + " is not a requested output");
        mask[p->request] |= uint64_t{1} << p->index;
        if (levels[i])
            bits[p->request] |= uint64_t{1} << p->index;
    }
    write(bits, mask);
}

uint8_t UapiLines::get(unsigned offset)
{
    const Place *p = find(offset);
    if (!p)
        throw RunError("GPIO get: " + where(offset) + " is not requested");
    std::lock_guard guard(lock_);
    const Held &held = held_[p->request];
    if (held.api == GpioUapi::V2) {
        gpio_v2_line_values values = {};
        values.mask = uint64_t{1} << p->index;
        if (retryIoctl(held.fd.get(), GPIO_V2_LINE_GET_VALUES_IOCTL, &values) < 0)
            throw RunError("cannot read " + where(offset) + ": " + std::strerror(errno));
        return (values.bits >> p->index) & 1u;
    }
    gpiohandle_data data = {};
    if (retryIoctl(held.fd.get(), GPIOHANDLE_GET_LINE_VALUES_IOCTL, &data) < 0)
        throw RunError("cannot read " + where(offset) + ": " + std::strerror(errno));
    return data.values[p->index] ? 1 : 0;
}

} // namespace

const char *uapiName(GpioUapi api)
{
    return api == GpioUapi::V2 ? "v2" : "v1";
}

std::vector<UapiRequest> requestUapiLines(int chipFd, const LineRequest &request)
{
    if (request.initialLevels.size() != request.outputs.size())
        throw RunError("line request: " + std::to_string(request.outputs.size()) + " outputs but " +
                       std::to_string(request.initialLevels.size()) + " initial levels");
    std::vector<unsigned> all = request.outputs;
    all.insert(all.end(), request.inputs.begin(), request.inputs.end());
    const std::string lines = "GPIO lines " + offsetList(all);

    std::vector<UapiRequest> requests;
    UapiRequest v2 = requestV2(chipFd, request);
    if (v2.fd.valid()) {
        requests.push_back(std::move(v2));
        return requests;
    }
    if (errno != EINVAL && errno != ENOTTY)
        throw RunError("cannot request " + lines + " (uAPI v2): " + std::strerror(errno));
    const std::string v2Error = std::strerror(errno);
    /* No v2 in this kernel: one handle for the outputs, one for the inputs. */
    if (!request.outputs.empty()) {
        requests.push_back(requestV1(chipFd, request.outputs, &request.initialLevels,
                                     request.outputBias, request.consumer));
        if (!requests.back().fd.valid())
            throw RunError("cannot request " + lines + " (uAPI v2: " + v2Error +
                           "; v1: " + std::strerror(errno) + ")");
    }
    if (!request.inputs.empty()) {
        requests.push_back(
            requestV1(chipFd, request.inputs, nullptr, request.inputBias, request.consumer));
        if (!requests.back().fd.valid())
            throw RunError("cannot request " + lines + " (uAPI v2: " + v2Error +
                           "; v1: " + std::strerror(errno) + ")");
    }
    return requests;
}

std::unique_ptr<GpioLines> openUapiLines(const std::vector<UapiRequest> &requests,
                                         const LineRequest &request)
{
    return std::make_unique<UapiLines>(requests, request);
}

} // namespace lockstep
