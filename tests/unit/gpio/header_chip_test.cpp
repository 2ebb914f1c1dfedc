/* Finding the header GPIO chip by label: what a Pi 5 (pinctrl-rp1 on a high number, with a
 * compatibility symlink), a Pi 4 and a machine without the label look like. The chips are
 * plain files in a temporary directory and the labels come from a table, so this runs where
 * there is no GPIO chip at all. */
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

#include <boost/test/unit_test.hpp>

#include "common/error_text.h"
#include "gpio/header_chip.h"
#include "util/errors.h"

using namespace lockstep;
using lockstep::test::errorOf;
namespace fs = std::filesystem;

namespace
{

struct FakeDev {
    FakeDev()
    {
        std::string pattern = (fs::temp_directory_path() / "lockstep-dev-XXXXXX").string();
        BOOST_REQUIRE(mkdtemp(pattern.data()) != nullptr);
        dir = fs::canonical(pattern);
    }
    ~FakeDev() { fs::remove_all(dir); }
    FakeDev(const FakeDev &) = delete;
    FakeDev &operator=(const FakeDev &) = delete;

    void chip(const std::string &name, const std::string &label)
    {
        std::ofstream(dir / name) << "";
        labels[(dir / name).string()] = label;
    }
    std::string path(const std::string &name) const { return (dir / name).string(); }
    ChipLabelReader reader() const
    {
        return [this](const std::string &path) {
            const auto it = labels.find(path);
            if (it == labels.end() || it->second.empty())
                throw std::runtime_error("cannot open " + path + ": Permission denied");
            return it->second;
        };
    }

    fs::path dir;
    std::map<std::string, std::string> labels;
};

} // namespace

BOOST_AUTO_TEST_SUITE(header_chip)

BOOST_AUTO_TEST_CASE(pi5_symlink_is_listed_once_and_other_files_not_at_all)
{
    FakeDev dev;
    dev.chip("gpiochip0", "pinctrl-rp1");
    dev.chip("gpiochip10", "gpio-brcmstb@107d508500");
    fs::create_symlink(dev.path("gpiochip0"), dev.dir / "gpiochip4");
    std::ofstream(dev.dir / "gpiomem0") << "";
    const std::vector<GpioChipEntry> chips = listGpioChips(dev.dir.string(), dev.reader());
    BOOST_TEST_REQUIRE(chips.size() == 2u);
    BOOST_TEST(chips[0].path == dev.path("gpiochip0"));
    BOOST_TEST(chips[0].label == "pinctrl-rp1");
    BOOST_TEST(chips[1].path == dev.path("gpiochip10"));
}

BOOST_AUTO_TEST_CASE(automatic_choice_goes_by_label_not_by_number)
{
    /* A Pi 5 kernel that still shows an older label on another chip: rp1 comes first. */
    const std::vector<GpioChipEntry> pi5{{"/dev/gpiochip0", "pinctrl-bcm2711", ""},
                                         {"/dev/gpiochip12", "pinctrl-rp1", ""}};
    BOOST_TEST(chooseHeaderChip("", pi5) == "/dev/gpiochip12");
    /* A named label wins over the automatic order. */
    BOOST_TEST(chooseHeaderChip("pinctrl-bcm2711", pi5) == "/dev/gpiochip0");
    const std::vector<GpioChipEntry> pi3{{"/dev/gpiochip0", "brcmvirt-gpio", ""},
                                         {"/dev/gpiochip1", "pinctrl-bcm2835", ""}};
    BOOST_TEST(chooseHeaderChip("", pi3) == "/dev/gpiochip1");
}

BOOST_AUTO_TEST_CASE(no_chip_with_the_label_names_what_was_found)
{
    FakeDev dev;
    dev.chip("gpiochip0", "pinctrl-bcm2711");
    dev.chip("gpiochip1", ""); /* cannot be opened */
    const std::vector<GpioChipEntry> chips = listGpioChips(dev.dir.string(), dev.reader());
    BOOST_TEST_REQUIRE(chips.size() == 2u);
    BOOST_TEST(chips[1].label.empty());
    BOOST_TEST(chips[1].error == "cannot open " + dev.path("gpiochip1") + ": Permission denied");
    const std::string message = errorOf([&] { chooseHeaderChip("pinctrl-rp1", chips); });
    BOOST_TEST(message == "no GPIO chip labelled pinctrl-rp1: found " + dev.path("gpiochip0") +
                              " (label pinctrl-bcm2711), " + dev.path("gpiochip1") +
                              " (cannot open " + dev.path("gpiochip1") +
                              ": Permission denied) (name the chip by label or /dev path in the "
                              "rig file)");
    const std::string none = errorOf([] { chooseHeaderChip("", {}); });
    BOOST_TEST(none.find("no GPIO chip labelled pinctrl-rp1, pinctrl-bcm2711, pinctrl-bcm2835: "
                         "no /dev/gpiochip* devices") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
