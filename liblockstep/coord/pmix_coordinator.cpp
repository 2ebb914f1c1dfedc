#include "coord/coordinator.h"

#include <pmix.h>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "coord/host_name.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

void check(pmix_status_t status, const std::string &what)
{
    if (status != PMIX_SUCCESS)
        throw RunError(what + " failed: " + PMIx_Error_string(status));
}

struct ValueDeleter {
    void operator()(pmix_value_t *value) const { PMIX_VALUE_RELEASE(value); }
};
using ValuePtr = std::unique_ptr<pmix_value_t, ValueDeleter>;

/* A value carries the epoch it was put for, so a reader can tell a stale one: "EPOCH:DATA". */
std::string encodeValue(uint64_t epoch, const std::string &data)
{
    return std::to_string(epoch) + ':' + data;
}

/* Which keys carry the values. Where the server can refresh a client's cache (Slurm 22.05's
 * slurmstepd, by direct modex), two keys alternate by epoch parity and every read asks for a
 * refresh: a rank is at most one epoch ahead, because the next fence holds it, so the key of
 * the other parity is the only one it can have overwritten. Without the refresh a reused key
 * reads back its first value for ever, and Open MPI 4.1's mpirun fails every refreshing read;
 * there each epoch gets a key of its own, which is always right but makes every later fence
 * carry more (bench_key_reuse and docs/performance.md measure both). The epoch inside every
 * value turns any stale read into an error instead of a wrong capture instant. */
enum class KeyScheme { Parity, PerEpoch };

/* The PMIx client of one process. */
class PmixCoordinator : public Coordinator
{
public:
    PmixCoordinator()
    {
        check(PMIx_Init(&self_, nullptr, 0), "PMIx_Init");
        const bool yes = true;
        PMIx_Info_load(&collect_, PMIX_COLLECT_DATA, &yes, PMIX_BOOL);
        PMIx_Info_load(&refresh_, PMIX_GET_REFRESH_CACHE, &yes, PMIX_BOOL);
        try {
            PMIX_LOAD_PROCID(&job_, self_.nspace, PMIX_RANK_WILDCARD);
            size_ = static_cast<int>(get(job_, PMIX_JOB_SIZE, PMIX_UINT32)->data.uint32);
            host_ = hostName();
            chooseKeyScheme();
        } catch (...) {
            PMIx_Finalize(nullptr, 0);
            throw;
        }
    }

    ~PmixCoordinator() override
    {
        /* A refreshing read asks the peer's server, which forgets a peer that has finalized:
         * nobody leaves while another rank may still be reading its last value. Every path
         * out of a collective leaves on every rank alike, so this fence pairs up. */
        if (scheme_ == KeyScheme::Parity)
            PMIx_Fence(&job_, 1, &collect_, 1);
        PMIX_INFO_DESTRUCT(&collect_);
        PMIX_INFO_DESTRUCT(&refresh_);
        PMIx_Finalize(nullptr, 0);
    }

    PmixCoordinator(const PmixCoordinator &) = delete;
    PmixCoordinator &operator=(const PmixCoordinator &) = delete;

    int rank() const override { return static_cast<int>(self_.rank); }
    int size() const override { return size_; }
    const std::string &host() const override { return host_; }

    void fence() override { check(PMIx_Fence(&job_, 1, &collect_, 1), "PMIx_Fence"); }

    std::string broadcast(const std::string &value, int root) override
    {
        if (root < 0 || root >= size_)
            throw RunError("broadcast from rank " + std::to_string(root) + " in a job of size " +
                           std::to_string(size_));
        const uint64_t epoch = ++epoch_;
        if (rank() == root)
            put(epoch, value);
        fence();
        if (rank() == root)
            return value;
        return fetch(epoch, root);
    }

    std::vector<std::string> allGather(const std::string &value) override
    {
        const uint64_t epoch = ++epoch_;
        put(epoch, value);
        fence();
        std::vector<std::string> values(static_cast<size_t>(size_));
        for (int r = 0; r < size_; ++r)
            values[static_cast<size_t>(r)] = r == rank() ? value : fetch(epoch, r);
        return values;
    }

    Gathered gatherStatus(const std::string &status, const std::string &report, int root) override
    {
        if (root < 0 || root >= size_)
            throw RunError("report to rank " + std::to_string(root) + " in a job of size " +
                           std::to_string(size_));
        const bool separate = scheme_ == KeyScheme::Parity;
        const uint64_t epoch = ++epoch_;
        if (separate) {
            put(epoch, status);
            put(epoch, report, kReportKey);
        } else {
            put(epoch, std::to_string(status.size()) + ':' + status + report);
        }
        fence();
        Gathered gathered;
        gathered.statuses.resize(static_cast<size_t>(size_));
        if (rank() == root)
            gathered.reports.resize(static_cast<size_t>(size_));
        for (int r = 0; r < size_; ++r) {
            const auto i = static_cast<size_t>(r);
            if (r == rank()) {
                gathered.statuses[i] = status;
                if (rank() == root)
                    gathered.reports[i] = report;
            } else if (separate) {
                gathered.statuses[i] = fetch(epoch, r);
                if (rank() == root)
                    gathered.reports[i] = fetch(epoch, r, kReportKey);
            } else {
                const std::string both = fetch(epoch, r);
                size_t length = 0;
                const auto [end, error] =
                    std::from_chars(both.data(), both.data() + both.size(), length);
                const size_t skip = static_cast<size_t>(end - both.data()) + 1;
                if (error != std::errc() || *end != ':' || skip + length > both.size())
                    throw RunError("malformed status from rank " + std::to_string(r));
                gathered.statuses[i] = both.substr(skip, length);
                if (rank() == root)
                    gathered.reports[i] = both.substr(skip + length);
            }
        }
        return gathered;
    }

    bool reusesKeys() const override { return scheme_ == KeyScheme::Parity; }

private:
    /* The family of a key: "p"/"e" carry what every rank reads, "r" what only one rank reads. */
    static constexpr const char *kDataKey = "";
    static constexpr const char *kReportKey = "r";

    std::string key(uint64_t epoch, const char *family = kDataKey) const
    {
        if (scheme_ == KeyScheme::Parity)
            return std::string("lockstep.") + family + "p." + std::to_string(epoch % 2);
        return std::string("lockstep.") + family + "e." + std::to_string(epoch);
    }

    /* Every rank tries one refreshing read of a peer's key; the job reuses keys only if every
     * rank's read worked, so all ranks agree (the verdict travels on per-epoch keys). */
    void chooseKeyScheme()
    {
        if (size_ < 2)
            return;
        const uint64_t epoch = ++epoch_;
        scheme_ = KeyScheme::Parity;
        put(epoch, "probe");
        fence();
        bool refreshed = false;
        try {
            refreshed = fetch(epoch, (rank() + 1) % size_) == "probe";
        } catch (const RunError &) {
            refreshed = false;
        }
        scheme_ = KeyScheme::PerEpoch;
        bool everyRank = true;
        for (const std::string &verdict : allGather(refreshed ? "1" : "0"))
            everyRank = everyRank && verdict == "1";
        scheme_ = everyRank ? KeyScheme::Parity : KeyScheme::PerEpoch;
    }

    ValuePtr get(const pmix_proc_t &proc, const std::string &key, pmix_data_type_t type,
                 bool refresh = false) const
    {
        pmix_value_t *raw = nullptr;
        check(PMIx_Get(&proc, key.c_str(), refresh ? &refresh_ : nullptr, refresh ? 1 : 0, &raw),
              "PMIx_Get(" + key + ", rank " + std::to_string(proc.rank) + ")");
        ValuePtr value(raw);
        if (value->type != type)
            throw RunError("PMIx_Get(" + key + ") returned type " +
                           PMIx_Data_type_string(value->type));
        return value;
    }

    std::string hostName() const
    {
        pmix_value_t *raw = nullptr;
        if (PMIx_Get(&self_, PMIX_HOSTNAME, nullptr, 0, &raw) == PMIX_SUCCESS) {
            const ValuePtr value(raw);
            if (value->type == PMIX_STRING && value->data.string != nullptr)
                return value->data.string;
        }
        return localHostName();
    }

    void put(uint64_t epoch, const std::string &data, const char *family = kDataKey)
    {
        std::string encoded = encodeValue(epoch, data);
        pmix_value_t value{};
        value.type = PMIX_BYTE_OBJECT;
        value.data.bo.bytes = encoded.data(); /* PMIx_Put copies */
        value.data.bo.size = encoded.size();
        check(PMIx_Put(PMIX_GLOBAL, key(epoch, family).c_str(), &value), "PMIx_Put");
        check(PMIx_Commit(), "PMIx_Commit");
    }

    std::string fetch(uint64_t epoch, int from, const char *family = kDataKey) const
    {
        pmix_proc_t proc;
        PMIX_LOAD_PROCID(&proc, self_.nspace, static_cast<pmix_rank_t>(from));
        const ValuePtr value =
            get(proc, key(epoch, family), PMIX_BYTE_OBJECT, scheme_ == KeyScheme::Parity);
        const std::string_view encoded(value->data.bo.bytes, value->data.bo.size);

        uint64_t valueEpoch = 0;
        const auto [end, error] =
            std::from_chars(encoded.data(), encoded.data() + encoded.size(), valueEpoch);
        if (error != std::errc() || end == encoded.data() + encoded.size() || *end != ':')
            throw RunError("malformed coordination value from rank " + std::to_string(from));
        if (valueEpoch != epoch)
            throw RunError("rank " + std::to_string(from) + " sent the value of epoch " +
                           std::to_string(valueEpoch) + " in epoch " + std::to_string(epoch) +
                           ": ranks are out of step");
        return std::string(end + 1, encoded.data() + encoded.size());
    }

    pmix_proc_t self_{};
    pmix_proc_t job_{};
    /* Without PMIX_COLLECT_DATA Slurm's server completes a fence node-locally: no barrier. */
    pmix_info_t collect_{};
    pmix_info_t refresh_{};
    KeyScheme scheme_ = KeyScheme::PerEpoch;
    int size_ = 0;
    std::string host_;
    uint64_t epoch_ = 0;
};

} // namespace

std::string pmixVersion()
{
    return PMIx_Get_version();
}

bool underPmix()
{
    return std::getenv("PMIX_RANK") != nullptr || std::getenv("PMIX_NAMESPACE") != nullptr;
}

std::unique_ptr<Coordinator> connectPmix()
{
    if (!underPmix())
        throw RunError("no PMIx server: this process was not started by a PMIx launcher (start "
                       "it with srun --mpi=pmix or mpirun)");
    /* The shared-memory data store (gds ds21) missed fresh keys of a peer after a fence now
     * and then under mpirun; the hash store was reliable. The user's setting wins. */
    setenv("PMIX_MCA_gds", "hash", 0);
    return std::make_unique<PmixCoordinator>();
}

} // namespace lockstep
