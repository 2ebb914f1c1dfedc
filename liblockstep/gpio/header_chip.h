/* Which GPIO chip is the Raspberry Pi's header: by label, never by number (chip numbers change
 * between Pi models and kernels; Pi 5 has a compatibility symlink gpiochip4 -> gpiochip0). */
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace lockstep
{

/* One GPIO character device as found in a directory. */
struct GpioChipEntry {
    std::string path;  /* the real path, symlinks resolved */
    std::string label; /* empty if it could not be opened */
    std::string error; /* why not */
};

/* Reads a chip's label; throws if the chip cannot be opened. */
using ChipLabelReader = std::function<std::string(const std::string &path)>;

/* Every gpiochip* in `dir` once, de-duplicated by real path and sorted by it. */
std::vector<GpioChipEntry> listGpioChips(const std::string &dir, const ChipLabelReader &labelOf);

/* The path of the chip `spec` names among `chips`: a label, or empty for pinctrl-rp1 (Pi 5),
 * pinctrl-bcm2711 (Pi 4), pinctrl-bcm2835 (Pi 0-3), in that order. Throws RunError naming
 * what was tried and what was found. */
std::string chooseHeaderChip(const std::string &spec, const std::vector<GpioChipEntry> &chips);

} // namespace lockstep
