/* What a position's exchange costs, measured before the scan: the timeline leaves room for one
 * per position (TimelineRules::coordination). The trials are the exchange a position pays, a
 * health status to every rank and a report to rank 0 (Coordinator::gatherStatus), not a bare
 * fence: a bare fence moves no data, and under mpirun with 16 ranks on two cores it measured
 * 2.5 ms where a position's exchange took 30 ms (docs/performance.md). */
#pragma once

#include <string>

#include "coord/coordinator.h"
#include "util/chrono_clocks.h"

namespace lockstep
{

/* `count` (at least 1) exchanges of `status` and `report`, every rank alike; their median (the
 * first ones also warm the server up). */
Nanoseconds medianExchange(Coordinator &coord, const std::string &status, const std::string &report,
                           int count);

} // namespace lockstep
