/* Scan progress for people: a progress line on a terminal (position k/N, rate, ETA), a line per
 * position otherwise, and under Slurm the job's Comment, so `squeue -o "%.8i %.10j %.8T %k"`
 * shows it. Comment updates are RPCs logged by slurmctld: they go from a background thread,
 * at most one every few seconds. */
#pragma once

#include <memory>
#include <string>

#include "util/chrono_clocks.h"

namespace lockstep
{

class Progress
{
public:
    Progress(std::string scan, size_t total, size_t alreadyDone);
    ~Progress();

    /* `done` positions are complete now. */
    void update(size_t done);
    /* Final line (and final Comment). */
    void finish(const std::string &summary);

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace lockstep
