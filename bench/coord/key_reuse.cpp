/* Why lockstep's coordinator puts a new PMIx key per exchange instead of reusing a small fixed
 * set: this measures, on the PMIx server it runs under, what a reader gets back when every rank
 * overwrites the same keys each epoch, and what each scheme costs per epoch.
 *
 * Usage, under a launcher: `mpirun -n 4 bench_key_reuse [--epochs N]` or
 * `srun -N4 --mpi=pmix bench_key_reuse [--epochs N]`. Each epoch every rank puts "EPOCH:RANK",
 * commits, enters a collecting fence and reads every peer's value back. Three schemes:
 *   parity          two keys, alternating by epoch parity (docs/performance.md, key reuse)
 *   parity+refresh  the same, each read with PMIX_GET_REFRESH_CACHE
 *   per-epoch       a new key every epoch (what Coordinator does)
 * A read is "stale" when it carries another epoch's number and "failed" when PMIx_Get fails.
 * Rank 0 prints a table; the counts are rank 0's own reads. */
#include <pmix.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/bench_support.h"
#include "util/statistics.h"

namespace
{

enum class Scheme { Parity, ParityRefresh, PerEpoch };

const char *name(Scheme scheme)
{
    switch (scheme) {
    case Scheme::Parity:
        return "parity (2 keys reused)";
    case Scheme::ParityRefresh:
        return "parity + PMIX_GET_REFRESH_CACHE";
    case Scheme::PerEpoch:
        return "new key per epoch (lockstep)";
    }
    return "?";
}

struct Outcome {
    long reads = 0;
    long stale = 0;
    long failed = 0;
    std::vector<double> epochMs;
};

class Client
{
public:
    Client()
    {
        if (PMIx_Init(&self_, nullptr, 0) != PMIX_SUCCESS)
            throw std::runtime_error(
                "PMIx_Init failed: start this under mpirun or srun --mpi=pmix");
        PMIX_LOAD_PROCID(&job_, self_.nspace, PMIX_RANK_WILDCARD);
        pmix_value_t *size = nullptr;
        if (PMIx_Get(&job_, PMIX_JOB_SIZE, nullptr, 0, &size) != PMIX_SUCCESS)
            throw std::runtime_error("PMIx_Get(PMIX_JOB_SIZE) failed");
        size_ = int(size->data.uint32);
        PMIX_VALUE_RELEASE(size);
        const bool yes = true;
        PMIx_Info_load(&collect_, PMIX_COLLECT_DATA, &yes, PMIX_BOOL);
        PMIx_Info_load(&refresh_, PMIX_GET_REFRESH_CACHE, &yes, PMIX_BOOL);
    }
    ~Client()
    {
        PMIX_INFO_DESTRUCT(&collect_);
        PMIX_INFO_DESTRUCT(&refresh_);
        PMIx_Finalize(nullptr, 0);
    }
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;

    int rank() const { return int(self_.rank); }

    Outcome run(Scheme scheme, int epochs)
    {
        Outcome outcome;
        for (int e = 1; e <= epochs; ++e) {
            const auto start = std::chrono::steady_clock::now();
            const std::string key = keyFor(scheme, e);
            std::string value = std::to_string(e) + ":" + std::to_string(rank());
            pmix_value_t put{};
            put.type = PMIX_BYTE_OBJECT;
            put.data.bo.bytes = value.data();
            put.data.bo.size = value.size();
            PMIx_Put(PMIX_GLOBAL, key.c_str(), &put);
            PMIx_Commit();
            if (PMIx_Fence(&job_, 1, &collect_, 1) != PMIX_SUCCESS)
                throw std::runtime_error("PMIx_Fence failed");
            for (int r = 0; r < size_; ++r)
                if (r != rank())
                    read(scheme, key, r, e, outcome);
            outcome.epochMs.push_back(
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count());
        }
        return outcome;
    }

private:
    std::string keyFor(Scheme scheme, int epoch) const
    {
        const std::string prefix = "reuse." + std::to_string(int(scheme)) + ".";
        return prefix + std::to_string(scheme == Scheme::PerEpoch ? epoch : epoch % 2);
    }

    void read(Scheme scheme, const std::string &key, int from, int epoch, Outcome &outcome)
    {
        pmix_proc_t peer;
        PMIX_LOAD_PROCID(&peer, self_.nspace, pmix_rank_t(from));
        const bool refresh = scheme == Scheme::ParityRefresh;
        pmix_value_t *got = nullptr;
        ++outcome.reads;
        if (PMIx_Get(&peer, key.c_str(), refresh ? &refresh_ : nullptr, refresh ? 1 : 0, &got) !=
            PMIX_SUCCESS) {
            ++outcome.failed;
            return;
        }
        const std::string text(got->data.bo.bytes, got->data.bo.size);
        PMIX_VALUE_RELEASE(got);
        if (std::atoi(text.c_str()) != epoch)
            ++outcome.stale;
    }

    pmix_proc_t self_{};
    pmix_proc_t job_{};
    pmix_info_t collect_{};
    pmix_info_t refresh_{};
    int size_ = 0;
};

/* Median of the first or last fifth of the epochs: keys piling up show as a rise. */
double fifthMedian(const std::vector<double> &ms, bool last)
{
    const size_t n = std::max<size_t>(1, ms.size() / 5);
    std::vector<double> part = last ? std::vector<double>(ms.end() - long(n), ms.end())
                                    : std::vector<double>(ms.begin(), ms.begin() + long(n));
    return lockstep::percentile(part, 50);
}

} // namespace

int main(int argc, char **argv)
{
    using lockstep::bench::fixed;
    int epochs = 500;
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) == "--epochs" && i + 1 < argc)
            epochs = std::stoi(argv[++i]);
        else {
            std::fprintf(stderr, "usage: bench_key_reuse [--epochs N]\n");
            return 2;
        }
    }
    /* The same data store the coordinator selects (coord/pmix_coordinator.cpp). */
    setenv("PMIX_MCA_gds", "hash", 0);
    try {
        Client client;
        std::vector<std::pair<Scheme, Outcome>> outcomes;
        for (Scheme scheme : {Scheme::Parity, Scheme::ParityRefresh, Scheme::PerEpoch})
            outcomes.emplace_back(scheme, client.run(scheme, epochs));
        if (client.rank() != 0)
            return 0;
        std::printf("- Machine: %s\n- %d epochs per scheme; reads are rank 0's\n\n",
                    lockstep::bench::hostAndLoad().c_str(), epochs);
        std::printf("| key scheme | reads | stale | failed | median ms/epoch, first fifth | "
                    "last fifth |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
        for (const auto &[scheme, o] : outcomes)
            std::printf("| %s | %ld | %ld | %ld | %s | %s |\n", name(scheme), o.reads, o.stale,
                        o.failed, fixed(fifthMedian(o.epochMs, false), 3).c_str(),
                        fixed(fifthMedian(o.epochMs, true), 3).c_str());
    } catch (const std::exception &e) {
        std::fprintf(stderr, "bench_key_reuse: %s\n", e.what());
        return 1;
    }
    return 0;
}
