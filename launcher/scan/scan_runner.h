/* One rank of a scan: this node's motors and cameras, in lockstep with every other rank.
 *
 * The timeline is planned ahead: every rank computes the same capture instants from every
 * node's planned moves and the frame grid, so nothing is negotiated per position. Motor nodes
 * move when the previous exposure is read out; each camera takes the grid frame at its
 * position's instant T; frames go to a bounded writer pool. Once per position, while its frame
 * is exposed, a collecting PMIx fence carries each rank's health to every rank and its frame
 * records to rank 0, which appends the manifest on a thread of its own. Any rank's error or
 * signal, or a node that cannot keep the timeline, stops every rank at the next fence with the
 * motors released. The phases: scan_rank.h. */
#pragma once

#include <string>

namespace lockstep
{

class SignalGuard;

struct ScanOptions {
    std::string plan;
    std::string rig; /* empty: the plan's rig */
    std::string out;
    std::string node; /* empty: $LOCKSTEP_NODE or hostname */
    bool resume = false;
    bool nodeByRank = false; /* simulated rig on one machine: rank i plays node i */
    unsigned writerThreads = 2;
    size_t writerQueue = 4; /* frames waiting for the writers, per rank */
};

/* Runs the scan; returns the process exit status. Throws ConfigError/InputError (2) before
 * anything moves, RunError (1) after. */
int runScan(const ScanOptions &options, SignalGuard &signals);

} // namespace lockstep
