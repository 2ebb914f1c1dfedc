/* The GPIO uAPI backend (gpio/uapi_lines.h, gpio/inherited_gpio.h) against gpio_standin, which
 * answers the GPIO ioctls as the kernel would (this machine has no GPIO chip, nor gpio-sim):
 *
 *   gpio_standin --chip 1:7 --lines 54 --uapi v1|v2 --levels FILE -- test_gpio_uapi CHIP FILE v1|v2
 *
 * CHIP is a node of the stand-in's device number (/dev/full: it opens, and its own driver has
 * no ioctls). Exit 0: passed; 1: a check failed; 77: skipped, saying why. */
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <unistd.h>

#include "gpio/inherited_gpio.h"
#include "gpio/uapi_lines.h"
#include "util/errors.h"

using namespace lockstep;

namespace
{

int failures = 0;
std::string levelsFile;

void check(bool ok, const std::string &what)
{
    std::printf("  %s: %s\n", ok ? "ok" : "FAIL", what.c_str());
    if (!ok)
        ++failures;
}

/* "<level> <dir>" of a line as the stand-in recorded it, or "" if never requested. */
std::string recorded(unsigned offset)
{
    std::ifstream in(levelsFile);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        unsigned at = 0;
        std::string level;
        std::string dir;
        if (fields >> at >> level >> dir && at == offset)
            return level + " " + dir;
    }
    return "";
}

std::string errorOf(const std::function<void()> &fn)
{
    try {
        fn();
    } catch (const std::exception &e) {
        return e.what();
    }
    return "";
}

LineRequest motorRequest()
{
    LineRequest request;
    request.consumer = "uapi-test";
    request.outputs = {5, 6, 13};
    request.initialLevels = {0, 0, 1};
    request.inputs = {23};
    return request;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s CHIP LEVELS v1|v2 (run under gpio_standin)\n", argv[0]);
        return 2;
    }
    levelsFile = argv[2];
    const GpioUapi expected = std::string(argv[3]) == "v1" ? GpioUapi::V1 : GpioUapi::V2;
    std::printf("stand-in: %s answered by gpio_standin as a 54-line GPIO chip with uAPI %s "
                "(no GPIO chip or gpio-sim on this machine)\n",
                argv[1], expected == GpioUapi::V1 ? "v1 only" : "v2");
    UniqueFd chip(open(argv[1], O_RDWR | O_CLOEXEC));
    if (!chip.valid()) {
        std::printf("SKIPPED: cannot open %s as the stand-in chip: %s\n", argv[1],
                    std::strerror(errno));
        return 77;
    }
    try {
        std::printf("request STEP 5, DIR 6, ENABLE 13 (at 1) as outputs, endstop 23 as input\n");
        std::vector<UapiRequest> requests = requestUapiLines(chip.get(), motorRequest());
        const size_t wantedRequests = expected == GpioUapi::V1 ? 2 : 1;
        check(requests.size() == wantedRequests && requests.front().api == expected,
              std::to_string(requests.size()) + " request(s), uAPI " +
                  uapiName(requests.front().api) + " (a kernel without v2 gets v1 handles)");
        check(recorded(13) == "1 out" && recorded(5) == "0 out" && recorded(23) == "0 in",
              "initial levels: GPIO 13 '" + recorded(13) + "', 5 '" + recorded(5) + "', 23 '" +
                  recorded(23) + "'");
        check(fcntl(requests.front().fd.get(), F_GETFD) & FD_CLOEXEC,
              "request descriptors are close-on-exec");

        std::printf("the same lines again while requested\n");
        const std::string busy = errorOf([&] { requestUapiLines(chip.get(), motorRequest()); });
        check(busy.find("Device or resource busy") != std::string::npos, "refused: " + busy);

        std::printf("drive the request through the environment's description of it\n");
        const std::string text = describeInheritedGpio(requests);
        std::vector<UapiRequest> parsed = parseInheritedGpio(text);
        check(parsed.size() == requests.size() && describeInheritedGpio(parsed) == text,
              "LOCKSTEP_GPIO_FD=" + text + " reads back the same");
        for (UapiRequest &p : parsed)
            p.fd.release(); /* the numbers belong to `requests` */

        LineRequest use;
        use.outputs = {13, 5};
        use.initialLevels = {0, 1};
        use.inputs = {23};
        auto lines = openUapiLines(requests, use);
        check(recorded(13) == "0 out" && recorded(5) == "1 out" && recorded(6) == "0 out",
              "opening sets the initial levels: 13 '" + recorded(13) + "', 5 '" + recorded(5) +
                  "', 6 untouched '" + recorded(6) + "'");
        const unsigned step = 5;
        const uint8_t low = 0;
        lines->set({&step, 1}, {&low, 1});
        check(recorded(5) == "0 out" && recorded(13) == "0 out",
              "set GPIO 5 to 0, GPIO 13 stays at 0 ('" + recorded(13) + "')");
        check(lines->get(13) == 0 && lines->get(5) == 0 && lines->get(23) == 0,
              "get reads the levels back");

        const unsigned input = 23;
        const uint8_t high = 1;
        const std::string notOutput = errorOf([&] { lines->set({&input, 1}, {&high, 1}); });
        check(notOutput.find("not a requested output") != std::string::npos,
              "the endstop input cannot be driven: " + notOutput);
        LineRequest other;
        other.outputs = {19};
        other.initialLevels = {0};
        const std::string foreign = errorOf([&] { openUapiLines(requests, other); });
        check(foreign.find("GPIO 19 is not one of the lines requested") != std::string::npos,
              "a line outside the request cannot be reached: " + foreign);

        const std::string notARequest = errorOf([&] {
            std::vector<UapiRequest> bogus;
            bogus.push_back({UniqueFd(dup(chip.get())), expected, {13}});
            openUapiLines(bogus, use);
        });
        check(notARequest.find("is not a GPIO line request") != std::string::npos,
              "the chip's own descriptor is not taken for a request: " + notARequest);

        std::printf("let go of every descriptor; the lines can be requested again\n");
        lines.reset();
        requests.clear();
        const std::string again = errorOf([&] { requestUapiLines(chip.get(), motorRequest()); });
        check(again.empty(), "requested again" + (again.empty() ? "" : ": " + again));
    } catch (const std::exception &e) {
        check(false, std::string("unexpected error: ") + e.what());
    }

    std::printf("LOCKSTEP_GPIO_FD values that are refused\n");
    for (const char *bad : {"", "3", "2:v2:5", "3:v3:5", "3:v2:", "3:v2:5,5", "3:v2:5;3:v1:6",
                            "3:v2:70000", "3:v2:5;4:v1:6;5:v1:7;6:v1:8;7:v1:9"}) {
        const std::string error = errorOf([&] {
            std::vector<UapiRequest> parsed = parseInheritedGpio(bad);
            for (UapiRequest &p : parsed)
                p.fd.release();
        });
        check(error.rfind("LOCKSTEP_GPIO_FD='", 0) == 0,
              std::string("'") + bad + "': " + (error.empty() ? "accepted" : error));
    }
    std::printf(failures ? "%d check(s) failed\n" : "all checks passed\n", failures);
    return failures ? 1 : 0;
}
