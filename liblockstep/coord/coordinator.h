/* Coordination of the ranks of one scan, through PMIx only: rank, size and host from PMIx,
 * every barrier a PMIx_Fence WITH PMIX_COLLECT_DATA (without it Slurm 22.05 does not wait for
 * other nodes), data by Put/Commit/Fence/Get on two keys alternating by epoch where the server
 * refreshes reads (Slurm), else on a new key per exchange (mpirun), each value carrying its
 * epoch, which is checked.
 * Works under `srun --mpi=pmix` and under Open MPI's mpirun. */
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace lockstep
{

class Coordinator
{
public:
    virtual ~Coordinator() = default;

    virtual int rank() const = 0;
    virtual int size() const = 0;
    virtual const std::string &host() const = 0;

    /* A true barrier: returns only when every rank has entered it. Throws RunError. */
    virtual void fence() = 0;
    /* Every rank calls; each gets rank `root`'s value. One collecting fence. */
    virtual std::string broadcast(const std::string &value, int root = 0) = 0;
    /* Every rank calls with its value; each gets all values, by rank. One collecting fence. */
    virtual std::vector<std::string> allGather(const std::string &value) = 0;
    /* Every rank calls with a status for every rank and a report for `root` only: every rank
     * gets all statuses by rank, `root` also all reports by rank (the others an empty list).
     * One collecting fence. Where keys are reused (Slurm) a report is a key of its own that
     * only `root` reads; where every exchange needs new keys (mpirun) status and report share
     * one key, so that the keys do not pile up twice as fast. */
    struct Gathered {
        std::vector<std::string> statuses;
        std::vector<std::string> reports;
    };
    virtual Gathered gatherStatus(const std::string &status, const std::string &report,
                                  int root = 0) = 0;
    /* Whether exchanges reuse a fixed pair of keys (constant cost) or put a new key each time
     * (cost grows with the number of exchanges). */
    virtual bool reusesKeys() const = 0;
};

/* Connects to the PMIx server of the step (PMIx_Init). Throws RunError with a hint when the
 * process was not started by srun --mpi=pmix or mpirun. */
std::unique_ptr<Coordinator> connectPmix();
/* Whether the environment shows a PMIx server (PMIX_RANK / PMIX_NAMESPACE set). */
bool underPmix();
/* The PMIx library's own version string (PMIx_Get_version). */
std::string pmixVersion();
/* A coordinator for a single process (size 1), for scans on one node without a launcher. */
std::unique_ptr<Coordinator> soloCoordinator();

} // namespace lockstep
