/* GPIO lines through the kernel's GPIO character-device uAPI itself, for a line request that one
 * process makes and another drives: lockstep's SPANK plugin requests a step's lines as root and
 * the task inherits the request's descriptor across exec (gpio/inherited_gpio.h), never the
 * chip. libgpiod cannot take part: neither 1.6 (Debian 12, Pi OS bookworm) nor 2.x can adopt a
 * request descriptor it did not make itself (a line_bulk or line_request exists only as the
 * result of requesting through a chip), so this backend issues the ioctls of <linux/gpio.h>.
 *
 * Both uAPI versions: v2 line requests (kernel 5.10 and later: one request, each line its own
 * direction, set with a mask) and v1 line handles (older kernels, and kernels built without
 * v2: one direction per handle, so outputs and inputs are two handles, and a set writes every
 * line of the handle). */
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gpio/gpio_lines.h"
#include "util/unique_fd.h"

namespace lockstep
{

enum class GpioUapi { V1, V2 };

/* One line request: its descriptor, uAPI version and line offsets in request order (the
 * kernel's index of a line in the request is its position here). */
struct UapiRequest {
    UniqueFd fd;
    GpioUapi api = GpioUapi::V2;
    std::vector<unsigned> offsets;
};

/* Requests the lines of `request` on an open chip (outputs at their initial levels, inputs as
 * inputs): with uAPI v2, or with v1 if the kernel answers v2's ioctl with EINVAL or ENOTTY (a
 * kernel without v2). The descriptors are close-on-exec, as the kernel makes them. Throws
 * RunError with the kernel's reason (EBUSY: a line is requested by someone else). */
std::vector<UapiRequest> requestUapiLines(int chipFd, const LineRequest &request);

/* GpioLines over existing requests. Each descriptor is duplicated (close-on-exec), so the
 * caller keeps its own. `request` names the outputs (set to their initial levels at once) and
 * inputs that will be used: each must be a line of one of the requests, or RunError; no other
 * line can be reached. A descriptor that does not answer the GPIO ioctls of its version is
 * refused (RunError). */
std::unique_ptr<GpioLines> openUapiLines(const std::vector<UapiRequest> &requests,
                                         const LineRequest &request);

const char *uapiName(GpioUapi api);

} // namespace lockstep
