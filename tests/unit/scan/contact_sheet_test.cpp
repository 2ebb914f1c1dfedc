/* The labelled contact sheet: each row names its position and targets beside that row, each
 * column its camera above that column, and the picture travels inside the file. */
#include <boost/test/unit_test.hpp>

#include <regex>
#include <string>
#include <vector>

#include <openssl/evp.h>

#include "report/contact_sheet.h"

using namespace lockstep;

namespace
{

struct Label {
    double x = 0;
    double y = 0;
    std::string text;
};

std::vector<Label> labelsOf(const std::string &svg, const std::string &cls)
{
    std::vector<Label> found;
    const std::regex text("<text class=\"" + cls +
                          "\" x=\"([0-9.]+)\" y=\"([0-9.]+)\"[^>]*>([^<]*)</text>");
    for (std::sregex_iterator it(svg.begin(), svg.end(), text), end; it != end; ++it)
        found.push_back({std::stod((*it)[1]), std::stod((*it)[2]), (*it)[3]});
    return found;
}

} // namespace

BOOST_AUTO_TEST_CASE(rows_and_columns_are_labelled_in_place_and_the_picture_is_inside)
{
    /* 3 rows x 2 columns of 100 x 75 cells with a 4-pixel gap, as makeContactSheet lays out. */
    const unsigned width = 2 * 104 + 4;
    const unsigned height = 3 * 79 + 4;
    const std::vector<uint8_t> jpeg = {0xFF, 0xD8, 0xFF, 0xE0, 0x01, 0x02, 0xFF, 0xD9};
    const std::vector<std::string> rows = {"0: turntable 0\u00b0", "1: turntable 45\u00b0",
                                           "2: turntable <90>\u00b0 & more"};
    const std::vector<std::string> columns = {"pi01/cam", "pi02/cam"};
    const std::string svg = labelledContactSheet(jpeg, width, height, rows, columns);

    const std::vector<Label> rowLabels = labelsOf(svg, "position");
    BOOST_REQUIRE_EQUAL(rowLabels.size(), 3u);
    BOOST_TEST(rowLabels[0].text == rows[0]);
    BOOST_TEST(rowLabels[2].text == "2: turntable &lt;90&gt;\u00b0 &amp; more");
    /* Beside its row: the middle of row r of the picture, below the column labels. */
    const double top = rowLabels[0].y - (4 + 0.5 * 79);
    for (size_t r = 0; r < 3; ++r)
        BOOST_TEST(rowLabels[r].y == top + 4 + (double(r) + 0.5) * 79, "row " << r);

    const std::vector<Label> columnLabels = labelsOf(svg, "camera");
    BOOST_REQUIRE_EQUAL(columnLabels.size(), 2u);
    BOOST_TEST(columnLabels[1].text == "pi02/cam");
    BOOST_TEST(columnLabels[1].x - columnLabels[0].x == 104.0);
    BOOST_TEST(columnLabels[0].y < top); /* above the picture */

    /* The picture itself, byte for byte, as a data: URI. */
    const std::smatch image = [&] {
        std::smatch m;
        BOOST_REQUIRE(
            std::regex_search(svg, m, std::regex("href=\"data:image/jpeg;base64,([^\"]*)\"")));
        return m;
    }();
    const std::string encoded = image[1];
    std::vector<uint8_t> decoded(encoded.size());
    const int n =
        EVP_DecodeBlock(decoded.data(), reinterpret_cast<const unsigned char *>(encoded.data()),
                        int(encoded.size()));
    BOOST_REQUIRE(n >= int(jpeg.size()));
    decoded.resize(jpeg.size()); /* EVP_DecodeBlock counts base64's padding as zero bytes */
    BOOST_TEST(decoded == jpeg);
}
