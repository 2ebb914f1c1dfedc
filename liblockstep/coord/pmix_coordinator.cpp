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

/* Values are keyed by epoch ("lockstep.e.<epoch>"), never overwritten. Overwriting a fixed
 * key was tried and read back stale values on both servers: Open MPI 4.1's mpirun lost
 * overwritten keys (PMIx_Get: NOT-FOUND after about ten epochs) and Slurm 22.05's step
 * returned a peer's value of two epochs before (seen at the third position of every scan on the
 * four-node test cluster). shared/notes/pmix.md measured that keys piling up cost about 3 ms
 * per fence after many epochs: a price paid for correctness, checked by the epoch inside
 * every value. */

/* The PMIx client of one process. */
class PmixCoordinator : public Coordinator
{
public:
    PmixCoordinator()
    {
        check(PMIx_Init(&self_, nullptr, 0), "PMIx_Init");
        const bool yes = true;
        PMIx_Info_load(&collect_, PMIX_COLLECT_DATA, &yes, PMIX_BOOL);
        try {
            PMIX_LOAD_PROCID(&job_, self_.nspace, PMIX_RANK_WILDCARD);
            size_ = static_cast<int>(get(job_, PMIX_JOB_SIZE, PMIX_UINT32)->data.uint32);
            host_ = hostName();
        } catch (...) {
            PMIx_Finalize(nullptr, 0);
            throw;
        }
    }

    ~PmixCoordinator() override
    {
        PMIX_INFO_DESTRUCT(&collect_);
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

private:
    static std::string key(uint64_t epoch) { return "lockstep.e." + std::to_string(epoch); }

    static ValuePtr get(const pmix_proc_t &proc, const std::string &key, pmix_data_type_t type)
    {
        pmix_value_t *raw = nullptr;
        check(PMIx_Get(&proc, key.c_str(), nullptr, 0, &raw),
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

    void put(uint64_t epoch, const std::string &data)
    {
        std::string encoded = encodeValue(epoch, data);
        pmix_value_t value{};
        value.type = PMIX_BYTE_OBJECT;
        value.data.bo.bytes = encoded.data(); /* PMIx_Put copies */
        value.data.bo.size = encoded.size();
        check(PMIx_Put(PMIX_GLOBAL, key(epoch).c_str(), &value), "PMIx_Put");
        check(PMIx_Commit(), "PMIx_Commit");
    }

    std::string fetch(uint64_t epoch, int from) const
    {
        pmix_proc_t proc;
        PMIX_LOAD_PROCID(&proc, self_.nspace, static_cast<pmix_rank_t>(from));
        const ValuePtr value = get(proc, key(epoch), PMIX_BYTE_OBJECT);
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
    int size_ = 0;
    std::string host_;
    uint64_t epoch_ = 0;
};

} // namespace

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
