/* One rank of a scan: this node's motors and cameras, in lockstep with every other rank.
 *
 * Per position: motor nodes wait until the previous exposure is over, move and settle; all
 * ranks meet in a collecting PMIx fence that also carries each rank's status and finished
 * frame records; rank 0 picks the capture instant T = now + margin and broadcasts it; every
 * camera exposes a frame starting at T; frames go to a bounded writer pool while the motors
 * already move on. Rank 0 appends the manifest. Any rank's error or signal stops every rank
 * at the next fence, with motors released. */
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
