#include <filesystem>
#include <string>

#include <boost/test/unit_test.hpp>

#include "common/error_text.h"
#include "common/preconditions.h"
#include "gpio/gpio_lines.h"
#include "util/errors.h"

using namespace lockstep;
using lockstep::test::errorOf;
using lockstep::test::needsNoGpioChip;
namespace utf = boost::unit_test;

namespace
{

bool contains(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(gpiod_lines)

BOOST_AUTO_TEST_CASE(no_chip_gives_a_clear_error,
                     *utf::label("needs_no_gpiochip") * utf::precondition(needsNoGpioChip))
{
    BOOST_TEST_MESSAGE("not tested here: requesting lines, set_values and get on a real chip, and "
                       "reading labels on a Raspberry Pi need GPIO hardware (or the kernel's "
                       "gpio-sim module); only the no-device paths run on this machine");
    const std::string automatic = errorOf([] { findHeaderChip(""); });
    BOOST_TEST_INFO("message: " << automatic);
    BOOST_TEST(contains(automatic, "pinctrl-rp1, pinctrl-bcm2711, pinctrl-bcm2835"));
    BOOST_TEST(contains(automatic, "no /dev/gpiochip* devices"));

    const std::string byLabel = errorOf([] { findHeaderChip("pinctrl-bcm2711"); });
    BOOST_TEST_INFO("message: " << byLabel);
    BOOST_TEST(contains(byLabel, "labelled pinctrl-bcm2711:"));
    BOOST_TEST(!contains(byLabel, "pinctrl-rp1"));
}

BOOST_AUTO_TEST_CASE(missing_chip_path_is_named)
{
    const std::string message = errorOf([] { findHeaderChip("/dev/gpiochip-lockstep-absent"); });
    BOOST_TEST(contains(message, "/dev/gpiochip-lockstep-absent does not exist"), message);
}

BOOST_AUTO_TEST_CASE(requesting_lines_without_a_chip_fails_cleanly,
                     *utf::label("needs_no_gpiochip") * utf::precondition(needsNoGpioChip))
{
    LineRequest request;
    request.outputs = {17};
    request.initialLevels = {0};
    const std::string message = errorOf([&] { openGpiodLines("", request); });
    BOOST_TEST(contains(message, "no GPIO chip labelled"), message);

    request.initialLevels.clear();
    const std::string mismatch = errorOf([&] { openGpiodLines("", request); });
    BOOST_TEST(contains(mismatch, "initial levels"), mismatch);
}

BOOST_AUTO_TEST_SUITE_END()
