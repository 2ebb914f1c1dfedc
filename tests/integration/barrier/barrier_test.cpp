/* The PMIx coordinator under a real PMIx server (run by ctest as `mpirun -n 4 test_barrier`):
 * a fence must hold every rank until the last one arrives, and broadcast/allGather must deliver
 * the values of the current epoch, never a stale or early one.
 *
 * Observed under Open MPI 4.1.4's mpirun (one machine): a PMIx_Fence WITHOUT PMIX_COLLECT_DATA
 * also waits for the late rank there, so it cannot serve as a negative control on this launcher
 * (under Slurm 22.05 it does not wait across nodes, as the cluster tests measure). The
 * negative control below runs the same check around a barrier that does not wait. */
#define BOOST_TEST_MODULE barrier
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "coord/coordinator.h"
#include "util/chrono_clocks.h"
#include "util/errors.h"

using namespace lockstep;
using namespace std::chrono_literals;

namespace
{

constexpr Nanoseconds kLateBy = 2s;
constexpr Nanoseconds kMustWait = 1900ms;

/* One PMIx connection for the whole process, finalized after the last test. */
struct Pmix {
    Pmix() { coordinator = connectPmix(); }
    ~Pmix() { coordinator.reset(); }
    static inline std::unique_ptr<Coordinator> coordinator;
};
BOOST_TEST_GLOBAL_FIXTURE(Pmix);

Coordinator &coord()
{
    return *Pmix::coordinator;
}

void sleepFor(Nanoseconds duration)
{
    sleepUntil(MonotonicClock::now() + duration);
}

/* Every rank's time inside `barrier`, by rank, when rank `late` enters it kLateBy after the
 * others. */
std::vector<Nanoseconds> waitsInBarrier(int late, const std::function<void()> &barrier)
{
    coord().fence(); /* start together */
    if (coord().rank() == late)
        sleepFor(kLateBy);
    const MonotonicInstant entered = MonotonicClock::now();
    barrier();
    const Nanoseconds waited = MonotonicClock::now() - entered;

    /* On the wire: integer nanoseconds. */
    std::vector<Nanoseconds> waits;
    for (const std::string &value : coord().allGather(std::to_string(waited.count())))
        waits.push_back(Nanoseconds(std::stoll(value)));
    return waits;
}

/* The ranks other than `late` that left the barrier before `late` could have entered it. */
std::vector<int> ranksThatDidNotWait(const std::vector<Nanoseconds> &waits, int late)
{
    std::vector<int> early;
    for (size_t r = 0; r < waits.size(); ++r)
        if (static_cast<int>(r) != late && waits[r] < kMustWait)
            early.push_back(static_cast<int>(r));
    return early;
}

void report(const std::string &what, const std::vector<Nanoseconds> &waits)
{
    if (coord().rank() != 0)
        return;
    std::string line = what + ": waited (ms) by rank:";
    for (const Nanoseconds w : waits)
        line += ' ' + std::to_string(std::chrono::duration_cast<Milliseconds>(w).count());
    BOOST_TEST_MESSAGE(line);
}

/* The value rank `from` contributes in iteration `i`; some are empty, some hold NUL and ':'. */
std::string valueOf(int i, int from)
{
    if (i % 7 == 0)
        return {};
    std::string value = "i" + std::to_string(i) + ":r" + std::to_string(from);
    value.push_back('\0');
    value += std::string(static_cast<size_t>(i % 13), 'x');
    return value;
}

} // namespace

BOOST_AUTO_TEST_CASE(ranks_are_distinct_and_complete)
{
    BOOST_REQUIRE_GE(coord().size(), 2);
    BOOST_TEST(!coord().host().empty());
    const std::vector<std::string> ranks = coord().allGather(std::to_string(coord().rank()));
    BOOST_REQUIRE_EQUAL(ranks.size(), static_cast<size_t>(coord().size()));
    for (size_t r = 0; r < ranks.size(); ++r)
        BOOST_TEST(ranks[r] == std::to_string(r));
}

BOOST_AUTO_TEST_CASE(fence_holds_every_rank_until_the_late_one_arrives)
{
    for (int late : {1, coord().size() - 1}) {
        const std::vector<Nanoseconds> waits = waitsInBarrier(late, [] { coord().fence(); });
        report("fence, rank " + std::to_string(late) + " late", waits);
        BOOST_TEST(ranksThatDidNotWait(waits, late).empty(), "late rank " << late);
    }
}

BOOST_AUTO_TEST_CASE(negative_control_a_barrier_that_does_not_wait_is_caught)
{
    const int late = 1;
    const std::vector<Nanoseconds> waits = waitsInBarrier(late, [] {});
    report("no-op barrier, rank 1 late", waits);
    BOOST_TEST(ranksThatDidNotWait(waits, late).size() == static_cast<size_t>(coord().size() - 1));
}

BOOST_AUTO_TEST_CASE(broadcast_and_all_gather_deliver_the_current_epoch)
{
    const int size = coord().size();
    const int rank = coord().rank();
    int mismatches = 0;
    std::string first;
    for (int i = 0; i < 200; ++i) {
        /* One rank lags a little each iteration so the others run ahead and put the next
         * epoch's value while it still reads this one. */
        if (rank == i % size)
            sleepFor((i % 3) * 1ms);

        /* The same mix of operations on every rank, so key parity and operation vary. */
        if ((i * 7) % 5 < 2) {
            const int root = (i / 2) % size;
            const std::string got = coord().broadcast(valueOf(i, root), root);
            if (got != valueOf(i, root) && mismatches++ == 0)
                first = "broadcast " + std::to_string(i);
        } else {
            const std::vector<std::string> got = coord().allGather(valueOf(i, rank));
            for (int r = 0; r < size; ++r)
                if (got.at(static_cast<size_t>(r)) != valueOf(i, r) && mismatches++ == 0)
                    first = "allGather " + std::to_string(i) + " from rank " + std::to_string(r);
        }
    }
    BOOST_TEST(mismatches == 0, "first mismatch: " << first);
}

BOOST_AUTO_TEST_CASE(slurm_steps_reuse_a_fixed_pair_of_keys)
{
    BOOST_TEST_MESSAGE("rank " << coord().rank() << ": "
                               << (coord().reusesKeys() ? "two keys, reused by epoch parity"
                                                        : "a new key per exchange"));
    /* slurmstepd refreshes a client's cache on request, so a Slurm step must not fall back to
     * keys that pile up (mpirun cannot, and may use either). */
    if (std::getenv("SLURM_STEP_ID") != nullptr)
        BOOST_TEST(coord().reusesKeys());
    else
        BOOST_TEST_MESSAGE("not a Slurm step: either key scheme is right here, nothing to assert "
                           "(the cluster test asserts it under srun)");
}

BOOST_AUTO_TEST_CASE(broadcast_from_a_rank_outside_the_job_is_refused)
{
    BOOST_CHECK_THROW(coord().broadcast("x", coord().size()), RunError);
    BOOST_CHECK_THROW(coord().broadcast("x", -1), RunError);
    /* The refused calls entered no collective: the ranks are still in step. */
    BOOST_TEST(coord().broadcast("after", 0) == "after");
}
