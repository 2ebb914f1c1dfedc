#include "report/skew_chart.h"

#include <limits>
#include <string>

namespace lockstep
{

BarChart skewChart(const SkewSummary &skew, size_t positions)
{
    BarChart chart;
    chart.title = "Capture skew per position (latest minus earliest sensor timestamp)";
    chart.yLabel = "microseconds";
    ChartSeries series{"skew", "#3b6fb6", {}};
    for (unsigned k = 0; k < positions; ++k) {
        const auto it = skew.perPositionUs.find(k);
        const bool missing = it == skew.perPositionUs.end();
        chart.categories.push_back(std::to_string(k));
        series.values.push_back(missing ? std::numeric_limits<double>::quiet_NaN() : it->second);
    }
    chart.series.push_back(std::move(series));
    return chart;
}

} // namespace lockstep
