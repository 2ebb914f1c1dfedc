/* Helpers the benchmarks share: describing the machine a figure was measured on, formatting
 * numbers for tables, and running a reference command beside lockstep's own code. */
#pragma once

#include <string>
#include <vector>

namespace lockstep::bench
{

/* `value` with `decimals` digits after the point, as the tables print it. */
std::string fixed(double value, int decimals);

/* /proc/loadavg as it stands: 1, 5 and 15 minute averages, runnable/total tasks, last pid. */
std::string loadAverage();

/* The 1-minute load average alone; "unknown" where /proc/loadavg cannot be read. */
std::string oneMinuteLoad();

/* "CPU model, N CPUs online, Linux 6.1.0-18-amd64 x86_64". */
std::string machine();

/* "host, Linux 6.1.0-18-amd64 x86_64, CPU model, N CPUs, load L (full /proc/loadavg)". */
std::string hostAndLoad();

/* Runs a command without a shell, its stdout and stderr into the file `output`; returns its exit
 * status (128 + signal number if a signal ended it). Throws std::runtime_error if it cannot
 * start. */
int run(const std::vector<std::string> &args, const std::string &output);

} // namespace lockstep::bench
