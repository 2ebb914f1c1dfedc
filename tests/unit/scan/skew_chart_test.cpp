/* The report's skew chart keeps every planned position in its place, a position without frames
 * marked as such rather than closing the gap. */
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>

#include "report/skew_chart.h"

using namespace lockstep;

namespace
{

size_t count(const std::string &text, const std::string &what)
{
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

} // namespace

BOOST_AUTO_TEST_CASE(every_position_keeps_its_label_when_some_have_no_frames)
{
    SkewSummary skew;
    skew.perPositionUs = {{0, 12.0}, {2, 40.0}, {4, 8.0}}; /* 1 and 3 lost */
    const BarChart chart = skewChart(skew, 5);
    BOOST_TEST(chart.categories == (std::vector<std::string>{"0", "1", "2", "3", "4"}),
               boost::test_tools::per_element());
    BOOST_REQUIRE(chart.series.size() == 1u);
    const std::vector<double> &v = chart.series[0].values;
    BOOST_REQUIRE(v.size() == 5u);
    BOOST_TEST(v[0] == 12.0);
    BOOST_TEST(std::isnan(v[1]));
    BOOST_TEST(v[2] == 40.0); /* position 2's skew under position 2, not under 1 */
    BOOST_TEST(std::isnan(v[3]));
    BOOST_TEST(v[4] == 8.0);
}

BOOST_AUTO_TEST_CASE(the_svg_draws_a_bar_per_position_with_frames_and_marks_the_others)
{
    SkewSummary skew;
    skew.perPositionUs = {{0, 12.0}, {2, 40.0}};
    const std::string svg = skewChart(skew, 4).toSvg();
    BOOST_TEST(count(svg, "<title>skew 0: 12</title>") == 1u);
    BOOST_TEST(count(svg, "<title>skew 2: 40</title>") == 1u);
    BOOST_TEST(count(svg, "<title>skew 1: none</title>") == 1u);
    BOOST_TEST(count(svg, "<title>skew 3: none</title>") == 1u);
    BOOST_TEST(svg.find("nan") == std::string::npos, svg);
    /* The axis runs to the largest skew there is, whatever is missing. */
    BOOST_TEST(svg.find(">40</text>") != std::string::npos, svg);
}

BOOST_AUTO_TEST_CASE(a_scan_without_any_frames_draws_only_marks)
{
    const std::string svg = skewChart(SkewSummary{}, 3).toSvg();
    BOOST_TEST(count(svg, ": none</title>") == 3u);
    BOOST_TEST(count(svg, "<rect x=") == 1u, svg); /* only the legend's swatch */
}
