#include <algorithm>
#include <array>
#include <filesystem>
#include <set>
#include <string_view>
#include <system_error>
#include <vector>

#include "gpio/gpio_lines.h"
#include "gpio/gpiod_compat.h"
#include "gpio/header_chip.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

/* Newest first: a Pi 5 kernel may still expose the older labels on other chips. */
constexpr std::array<std::string_view, 3> kHeaderLabels = {"pinctrl-rp1", "pinctrl-bcm2711",
                                                           "pinctrl-bcm2835"};

std::string chipLabel(const std::string &path)
{
#if LOCKSTEP_GPIOD_API == 2
    return gpiod::chip(path).get_info().label();
#else
    return gpiod::chip(path, gpiod::chip::OPEN_BY_PATH).label();
#endif
}

std::string describe(const std::vector<GpioChipEntry> &chips)
{
    if (chips.empty())
        return "no /dev/gpiochip* devices on this machine";
    std::string text;
    for (const GpioChipEntry &chip : chips) {
        text += (text.empty() ? "" : ", ") + chip.path;
        text += chip.error.empty() ? " (label " + chip.label + ")" : " (" + chip.error + ")";
    }
    return "found " + text;
}

} // namespace

std::vector<GpioChipEntry> listGpioChips(const std::string &dir, const ChipLabelReader &labelOf)
{
    /* Compatibility symlinks (Pi 5's gpiochip4) resolve to the same device: de-duplicate by
     * real path, never by number. */
    std::set<std::filesystem::path> seen;
    std::vector<GpioChipEntry> chips;
    std::error_code ec;
    for (const auto &entry : std::filesystem::directory_iterator(dir, ec)) {
        if (!entry.path().filename().string().starts_with("gpiochip"))
            continue;
        const auto real = std::filesystem::canonical(entry.path(), ec);
        if (ec || !seen.insert(real).second)
            continue;
        GpioChipEntry chip{real.string(), {}, {}};
        try {
            chip.label = labelOf(chip.path);
        } catch (const std::exception &e) {
            chip.error = e.what();
        }
        chips.push_back(chip);
    }
    std::sort(chips.begin(), chips.end(),
              [](const GpioChipEntry &a, const GpioChipEntry &b) { return a.path < b.path; });
    return chips;
}

std::string chooseHeaderChip(const std::string &spec, const std::vector<GpioChipEntry> &chips)
{
    std::vector<std::string> wanted;
    if (spec.empty())
        wanted.assign(kHeaderLabels.begin(), kHeaderLabels.end());
    else
        wanted.push_back(spec);
    for (const std::string &label : wanted) {
        for (const GpioChipEntry &chip : chips) {
            if (chip.label == label)
                return chip.path;
        }
    }

    std::string tried;
    for (const std::string &label : wanted)
        tried += (tried.empty() ? "" : ", ") + label;
    throw RunError("no GPIO chip labelled " + tried + ": " + describe(chips) +
                   " (name the chip by label or /dev path in the rig file)");
}

std::string findHeaderChip(const std::string &spec)
{
    if (spec.starts_with("/")) {
        std::error_code ec;
        if (!std::filesystem::exists(spec, ec))
            throw RunError("GPIO chip " + spec + " does not exist");
        return spec;
    }
    return chooseHeaderChip(spec, listGpioChips("/dev", chipLabel));
}

} // namespace lockstep
