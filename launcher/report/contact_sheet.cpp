#include "report/contact_sheet.h"

#include <algorithm>
#include <cstring>

namespace lockstep
{

namespace
{

constexpr unsigned kGap = 4;
constexpr uint8_t kBackground = 40;
constexpr uint8_t kMissing = 110;

void blit(Image &sheet, const Image &thumb, unsigned x0, unsigned y0)
{
    for (unsigned y = 0; y < thumb.height && y0 + y < sheet.height; ++y)
        std::memcpy(sheet.pixel(x0, y0 + y), thumb.pixel(0, y),
                    size_t(std::min(thumb.width, sheet.width - x0)) * 3);
}

void fill(Image &sheet, unsigned x0, unsigned y0, unsigned w, unsigned h, uint8_t value)
{
    for (unsigned y = y0; y < y0 + h && y < sheet.height; ++y)
        std::memset(sheet.pixel(x0, y), value, size_t(std::min(w, sheet.width - x0)) * 3);
}

} // namespace

Image makeContactSheet(const std::vector<std::vector<std::string>> &files, unsigned thumbWidth)
{
    size_t columns = 0;
    for (const auto &row : files)
        columns = std::max(columns, row.size());
    unsigned thumbHeight = thumbWidth * 3 / 4;
    std::vector<std::vector<Image>> thumbs(files.size());
    bool aspectKnown = false;
    for (size_t r = 0; r < files.size(); ++r) {
        for (const std::string &path : files[r]) {
            Image thumb;
            if (!path.empty()) {
                try {
                    const Image full = readImageFile(path, thumbWidth);
                    if (!aspectKnown) {
                        thumbHeight =
                            std::max(1u, unsigned(uint64_t(thumbWidth) * full.height / full.width));
                        aspectKnown = true;
                    }
                    thumb = downscale(full, thumbWidth, thumbHeight);
                } catch (const std::exception &) {
                    /* an unreadable frame shows as a grey cell; verify reports it */
                }
            }
            thumbs[r].push_back(std::move(thumb));
        }
    }
    Image sheet(unsigned(columns) * (thumbWidth + kGap) + kGap,
                unsigned(files.size()) * (thumbHeight + kGap) + kGap);
    std::fill(sheet.rgb.begin(), sheet.rgb.end(), kBackground);
    for (size_t r = 0; r < thumbs.size(); ++r) {
        for (size_t c = 0; c < thumbs[r].size(); ++c) {
            const unsigned x = kGap + unsigned(c) * (thumbWidth + kGap);
            const unsigned y = kGap + unsigned(r) * (thumbHeight + kGap);
            const Image &thumb = thumbs[r][c];
            if (thumb.width == thumbWidth && thumb.height == thumbHeight)
                blit(sheet, thumb, x, y);
            else
                fill(sheet, x, y, thumbWidth, thumbHeight, kMissing);
        }
    }
    return sheet;
}

} // namespace lockstep
