#include "report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "report/markup_escape.h"

namespace lockstep
{

namespace
{

/* 1, 2 or 5 times a power of ten, so axis labels read well. */
double niceStep(double range, int ticks)
{
    const double raw = range / ticks;
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * power >= raw)
            return m * power;
    return 10 * power;
}

std::string number(double v)
{
    char text[32];
    std::snprintf(text, sizeof(text), "%g", v);
    return text;
}

} // namespace

std::string BarChart::toSvg(unsigned width, unsigned height) const
{
    const double left = 70, right = 20, top = 40, bottom = 50;
    const double plotW = width - left - right;
    const double plotH = height - top - bottom;
    double maxValue = 0;
    for (const ChartSeries &s : series)
        for (double v : s.values)
            if (!std::isnan(v))
                maxValue = std::max(maxValue, v);
    if (maxValue <= 0)
        maxValue = 1;
    const double step = niceStep(maxValue, 5);
    const int ticks = static_cast<int>(std::ceil(maxValue / step));
    const double top_value = ticks * step;

    std::ostringstream svg;
    svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
        << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
    svg << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    svg << "<text x=\"" << width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">"
        << escapeMarkup(title) << "</text>\n";
    for (int tick = 0; tick <= ticks; ++tick) {
        const double v = tick * step;
        const double y = top + plotH - v / top_value * plotH;
        svg << "<line x1=\"" << left << "\" x2=\"" << left + plotW << "\" y1=\"" << y << "\" y2=\""
            << y << "\" stroke=\"#ddd\"/>\n";
        svg << "<text x=\"" << left - 6 << "\" y=\"" << y + 4 << "\" text-anchor=\"end\">"
            << number(v) << "</text>\n";
    }
    svg << "<text transform=\"translate(16," << top + plotH / 2
        << ") rotate(-90)\" text-anchor=\"middle\">" << escapeMarkup(yLabel) << "</text>\n";

    const size_t n = std::max<size_t>(categories.size(), 1);
    const double groupW = plotW / double(n);
    const double barW = groupW * 0.8 / double(std::max<size_t>(series.size(), 1));
    const size_t labelEvery = std::max<size_t>(1, n / 24);
    for (size_t c = 0; c < categories.size(); ++c) {
        const double gx = left + groupW * double(c) + groupW * 0.1;
        for (size_t s = 0; s < series.size(); ++s) {
            const double v = c < series[s].values.size() ? series[s].values[c] : 0;
            if (std::isnan(v)) {
                svg << "<text x=\"" << gx + barW * (double(s) + 0.5) << "\" y=\"" << top + plotH - 4
                    << "\" text-anchor=\"middle\" fill=\"#b00\">&#215;<title>"
                    << escapeMarkup(series[s].name) << " " << escapeMarkup(categories[c])
                    << ": none</title></text>\n";
                continue;
            }
            const double h = v / top_value * plotH;
            svg << "<rect x=\"" << gx + barW * double(s) << "\" y=\"" << top + plotH - h
                << "\" width=\"" << barW << "\" height=\"" << h << "\" fill=\"" << series[s].colour
                << "\"><title>" << escapeMarkup(series[s].name) << " "
                << escapeMarkup(categories[c]) << ": " << number(v) << "</title></rect>\n";
        }
        if (c % labelEvery == 0)
            svg << "<text x=\"" << gx + groupW * 0.4 << "\" y=\"" << top + plotH + 16
                << "\" text-anchor=\"middle\">" << escapeMarkup(categories[c]) << "</text>\n";
    }
    double lx = left;
    for (const ChartSeries &s : series) {
        svg << "<rect x=\"" << lx << "\" y=\"" << height - 18
            << "\" width=\"12\" height=\"12\" fill=\"" << s.colour << "\"/><text x=\"" << lx + 16
            << "\" y=\"" << height - 8 << "\">" << escapeMarkup(s.name) << "</text>\n";
        lx += 30 + 7.0 * double(s.name.size());
    }
    svg << "<line x1=\"" << left << "\" x2=\"" << left << "\" y1=\"" << top << "\" y2=\""
        << top + plotH << "\" stroke=\"black\"/>\n";
    svg << "<line x1=\"" << left << "\" x2=\"" << left + plotW << "\" y1=\"" << top + plotH
        << "\" y2=\"" << top + plotH << "\" stroke=\"black\"/>\n";
    svg << "</svg>\n";
    return svg.str();
}

} // namespace lockstep
