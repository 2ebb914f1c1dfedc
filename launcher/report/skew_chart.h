/* The report's capture-skew chart: one bar per planned position, in position order. A position
 * with no frames (an interrupted scan, frames lost) keeps its place, marked as having none, so
 * the bars after it stay under their own position's label. */
#pragma once

#include <cstddef>

#include "report/svg_chart.h"
#include "scan/verifier.h"

namespace lockstep
{

BarChart skewChart(const SkewSummary &skew, size_t positions);

} // namespace lockstep
