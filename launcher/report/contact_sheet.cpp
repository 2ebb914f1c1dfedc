#include "report/contact_sheet.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include <openssl/evp.h>

#include "report/markup_escape.h"

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

/* Room for the labels: row labels to the left of the picture, camera names above it. */
constexpr unsigned kRowLabelWidth = 200;
constexpr unsigned kColumnLabelHeight = 22;

/* Base64 (OpenSSL), for the picture's data: URI. */
std::string base64(std::span<const uint8_t> bytes)
{
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data()), bytes.data(),
                                  int(bytes.size()));
    out.resize(size_t(n));
    return out;
}

} // namespace

std::string labelledContactSheet(std::span<const uint8_t> jpeg, unsigned width, unsigned height,
                                 const std::vector<std::string> &rowLabels,
                                 const std::vector<std::string> &columnLabels)
{
    const size_t rows = std::max<size_t>(rowLabels.size(), 1);
    const size_t columns = std::max<size_t>(columnLabels.size(), 1);
    const double cellWidth = double(width - kGap) / double(columns);
    const double cellHeight = double(height - kGap) / double(rows);
    const unsigned totalWidth = kRowLabelWidth + width;
    const unsigned totalHeight = kColumnLabelHeight + height;
    std::ostringstream svg;
    svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << totalWidth << "\" height=\""
        << totalHeight << "\" viewBox=\"0 0 " << totalWidth << " " << totalHeight
        << "\" font-family=\"sans-serif\" font-size=\"13\">\n"
        << "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n";
    for (size_t c = 0; c < columnLabels.size(); ++c)
        svg << "<text class=\"camera\" x=\""
            << kRowLabelWidth + kGap + (double(c) + 0.5) * cellWidth
            << "\" y=\"16\" text-anchor=\"middle\">" << escapeMarkup(columnLabels[c])
            << "</text>\n";
    for (size_t r = 0; r < rowLabels.size(); ++r)
        svg << "<text class=\"position\" x=\"" << kRowLabelWidth - 8 << "\" y=\""
            << kColumnLabelHeight + kGap + (double(r) + 0.5) * cellHeight
            << "\" text-anchor=\"end\" dominant-baseline=\"middle\">" << escapeMarkup(rowLabels[r])
            << "</text>\n";
    svg << "<image x=\"" << kRowLabelWidth << "\" y=\"" << kColumnLabelHeight << "\" width=\""
        << width << "\" height=\"" << height << "\" href=\"data:image/jpeg;base64," << base64(jpeg)
        << "\"/>\n</svg>\n";
    return svg.str();
}

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
