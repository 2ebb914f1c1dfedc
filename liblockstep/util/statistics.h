/* Order statistics for timing reports: machines are noisy, so lockstep reports medians and
 * percentiles, not means. */
#pragma once

#include <vector>

namespace lockstep
{

/* Nearest-rank percentile (pct in 0..100) of unsorted values; 0 for none. */
double percentile(std::vector<double> values, double pct);

} // namespace lockstep
