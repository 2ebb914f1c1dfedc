/* A small bar chart written as SVG text: series of values over positions, grouped side by
 * side. SVG needs no library and every browser shows it. */
#pragma once

#include <string>
#include <vector>

namespace lockstep
{

struct ChartSeries {
    std::string name;
    std::string colour; /* CSS colour */
    /* One per category; NaN where there is no value (drawn as a marked gap, not as 0). */
    std::vector<double> values;
};

struct BarChart {
    std::string title;
    std::string yLabel;
    std::vector<std::string> categories; /* x axis */
    std::vector<ChartSeries> series;

    std::string toSvg(unsigned width = 900, unsigned height = 320) const;
};

} // namespace lockstep
