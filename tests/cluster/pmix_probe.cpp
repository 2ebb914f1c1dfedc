/* A PMIx client for the cluster tests: every rank publishes its hostname, waits in a
 * collecting fence (the only kind that is a cross-node barrier under Slurm 22.05) and reads
 * every peer's hostname back. Rank 0 prints one line per rank:
 * "rank R/N HOST". Exit status 1 on any PMIx failure.
 * With --times every rank also prints "times RANK START_NS FENCE_NS": CLOCK_REALTIME when main()
 * began and when the fence returned, the instants a step-per-position design could capture at
 * (bench/cluster/run.sh measures their spread across nodes as that design's skew). */
#include <pmix.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <time.h>
#include <unistd.h>

namespace
{

constexpr const char *kHostKey = "lockstep.probe.host";

bool check(pmix_status_t rc, const char *what)
{
    if (rc == PMIX_SUCCESS)
        return true;
    std::fprintf(stderr, "pmix_probe: %s: %s\n", what, PMIx_Error_string(rc));
    return false;
}

std::string hostName()
{
    char buf[256] = {};
    gethostname(buf, sizeof(buf) - 1);
    return buf;
}

bool publishHost(const std::string &host)
{
    pmix_value_t value;
    PMIX_VALUE_CONSTRUCT(&value);
    value.type = PMIX_STRING;
    value.data.string = const_cast<char *>(host.c_str());
    const bool ok = check(PMIx_Put(PMIX_GLOBAL, kHostKey, &value), "PMIx_Put") &&
                    check(PMIx_Commit(), "PMIx_Commit");
    return ok;
}

bool collectingFence(const pmix_proc_t &self)
{
    pmix_proc_t all;
    PMIX_LOAD_PROCID(&all, self.nspace, PMIX_RANK_WILDCARD);
    pmix_info_t info;
    bool collect = true;
    PMIX_INFO_LOAD(&info, PMIX_COLLECT_DATA, &collect, PMIX_BOOL);
    const bool ok = check(PMIx_Fence(&all, 1, &info, 1), "PMIx_Fence");
    PMIX_INFO_DESTRUCT(&info);
    return ok;
}

bool jobSize(const pmix_proc_t &self, uint32_t &size)
{
    pmix_proc_t job;
    PMIX_LOAD_PROCID(&job, self.nspace, PMIX_RANK_WILDCARD);
    pmix_value_t *value = nullptr;
    if (!check(PMIx_Get(&job, PMIX_JOB_SIZE, nullptr, 0, &value), "PMIx_Get(job size)"))
        return false;
    size = value->data.uint32;
    PMIX_VALUE_RELEASE(value);
    return true;
}

bool peerHost(const pmix_proc_t &self, uint32_t rank, std::string &host)
{
    pmix_proc_t peer;
    PMIX_LOAD_PROCID(&peer, self.nspace, rank);
    pmix_value_t *value = nullptr;
    if (!check(PMIx_Get(&peer, kHostKey, nullptr, 0, &value), "PMIx_Get(peer host)"))
        return false;
    host = value->type == PMIX_STRING && value->data.string ? value->data.string : "?";
    PMIX_VALUE_RELEASE(value);
    return true;
}

int64_t realtimeNs()
{
    timespec ts = {};
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

bool run(const pmix_proc_t &self, bool printTimes, int64_t startNs)
{
    uint32_t size = 0;
    if (!publishHost(hostName()) || !collectingFence(self))
        return false;
    const int64_t fenceNs = realtimeNs();
    if (printTimes)
        std::printf("times %u %lld %lld\n", self.rank, static_cast<long long>(startNs),
                    static_cast<long long>(fenceNs));
    if (!jobSize(self, size))
        return false;
    if (self.rank != 0)
        return true;
    for (uint32_t rank = 0; rank < size; ++rank) {
        std::string host;
        if (!peerHost(self, rank, host))
            return false;
        std::printf("rank %u/%u %s\n", rank, size, host.c_str());
    }
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    const int64_t startNs = realtimeNs();
    const bool printTimes = argc == 2 && std::strcmp(argv[1], "--times") == 0;
    if (argc > 1 && !printTimes) {
        std::fprintf(stderr, "usage: %s [--times]\n", argv[0]);
        return 2;
    }
    pmix_proc_t self;
    if (!check(PMIx_Init(&self, nullptr, 0), "PMIx_Init"))
        return 1;
    const bool ok = run(self, printTimes, startNs);
    PMIx_Finalize(nullptr, 0);
    return ok ? 0 : 1;
}
