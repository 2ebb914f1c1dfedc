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

#include <stdexcept>
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

/* How a scan ended when every rank ends it alike, after a collective: a fence that carried an
 * error or a stop, or rank 0's refusal to start. Every rank throws the same one; rank 0 alone
 * says it (one message, not one per rank) and every rank exits with `status`. */
class ScanEnded : public std::runtime_error
{
public:
    ScanEnded(const std::string &what, int status) : std::runtime_error(what), status_(status) {}
    int status() const { return status_; }

private:
    int status_;
};

/* Runs the scan; returns the process exit status: 2 for bad input (nothing moved), 1 for a
 * failure, 128 + the signal when a signal stopped it (rank 0 then says where to --resume).
 * Errors that only this rank has throw (ConfigError/InputError 2, RunError 1). */
int runScan(const ScanOptions &options, SignalGuard &signals);

} // namespace lockstep
