#include "motion/cpu_pin.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <hwloc/linux.h>
#include <memory>
#include <mutex>
#include <set>
#include <unistd.h>
#include <vector>

namespace lockstep
{

namespace
{

struct TopologyDeleter {
    void operator()(hwloc_topology *t) const { hwloc_topology_destroy(t); }
};
struct BitmapDeleter {
    void operator()(hwloc_bitmap_s *b) const { hwloc_bitmap_free(b); }
};
struct DirDeleter {
    void operator()(DIR *d) const { closedir(d); }
};
using Topology = std::unique_ptr<hwloc_topology, TopologyDeleter>;
using Bitmap = std::unique_ptr<hwloc_bitmap_s, BitmapDeleter>;

int lastIntersecting(hwloc_topology_t topology, hwloc_obj_type_t type, hwloc_const_cpuset_t allowed)
{
    for (int i = hwloc_get_nbobjs_by_type(topology, type) - 1; i >= 0; --i) {
        const hwloc_obj_t obj = hwloc_get_obj_by_type(topology, type, static_cast<unsigned>(i));
        if (obj == nullptr || !hwloc_bitmap_intersects(obj->cpuset, allowed))
            continue;
        const Bitmap set(hwloc_bitmap_dup(obj->cpuset));
        hwloc_bitmap_and(set.get(), set.get(), allowed);
        hwloc_bitmap_singlify(set.get());
        return hwloc_bitmap_first(set.get());
    }
    return -1;
}

Topology loadTopology(std::string &error)
{
    hwloc_topology_t raw = nullptr;
    if (hwloc_topology_init(&raw) != 0) {
        error = "hwloc_topology_init failed";
        return nullptr;
    }
    Topology topology(raw);
    if (hwloc_topology_load(topology.get()) != 0) {
        error = std::string("hwloc_topology_load: ") + std::strerror(errno);
        return nullptr;
    }
    return topology;
}

/* What the calling thread may use: the topology's allowed set, within the thread's binding. */
Bitmap callingThreadAllowed(hwloc_topology_t topology)
{
    Bitmap allowed(hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(topology)));
    const Bitmap current(hwloc_bitmap_alloc());
    if (hwloc_get_cpubind(topology, current.get(), HWLOC_CPUBIND_THREAD) == 0 &&
        hwloc_bitmap_intersects(current.get(), allowed.get()))
        hwloc_bitmap_and(allowed.get(), allowed.get(), current.get());
    return allowed;
}

struct Reservation {
    pid_t tid;
    Bitmap held; /* what the other threads keep off: the executor's core, or its CPU */
};

/* The process's reservations; `base` is what it could use before the first one. */
struct Registry {
    std::mutex mutex;
    Bitmap base;
    std::vector<Reservation> reservations;
};

Registry &registry()
{
    static Registry r;
    return r;
}

/* What is left for the other threads: `base` without any reservation's CPUs. */
Bitmap unreserved(const Registry &r)
{
    Bitmap set(hwloc_bitmap_dup(r.base.get()));
    for (const Reservation &reservation : r.reservations)
        hwloc_bitmap_andnot(set.get(), set.get(), reservation.held.get());
    return set;
}

std::set<pid_t> reservedThreads(const Registry &r)
{
    std::set<pid_t> tids;
    for (const Reservation &reservation : r.reservations)
        tids.insert(reservation.tid);
    return tids;
}

/* Binds every thread of the process but those in `skip` to `set`. A thread created meanwhile by
 * one not yet bound inherits the old binding: the list is read again until nothing is new. */
bool bindThreads(hwloc_topology_t topology, hwloc_const_cpuset_t set, std::set<pid_t> skip,
                 std::string &error)
{
    for (int pass = 0; pass < 16; ++pass) {
        const std::unique_ptr<DIR, DirDeleter> dir(opendir("/proc/self/task"));
        if (!dir) {
            error = std::string("/proc/self/task: ") + std::strerror(errno);
            return false;
        }
        bool found = false;
        while (const dirent *entry = readdir(dir.get())) {
            char *end = nullptr;
            const auto tid = static_cast<pid_t>(std::strtol(entry->d_name, &end, 10));
            if (end == entry->d_name || *end != '\0' || !skip.insert(tid).second)
                continue;
            found = true;
            /* ESRCH: the thread has ended since the directory was read. */
            if (hwloc_linux_set_tid_cpubind(topology, tid, set) != 0 && errno != ESRCH) {
                error = "binding thread " + std::to_string(tid) + ": " + std::strerror(errno);
                return false;
            }
        }
        if (!found)
            return true;
    }
    error = "threads kept appearing while they were bound";
    return false;
}

} // namespace

int chooseExecutorCpu(hwloc_topology_t topology, hwloc_const_cpuset_t allowed)
{
    /* Some virtual machines expose no core objects: fall back to processing units. */
    const int cpu = lastIntersecting(topology, HWLOC_OBJ_CORE, allowed);
    return cpu >= 0 ? cpu : lastIntersecting(topology, HWLOC_OBJ_PU, allowed);
}

int splitForExecutor(hwloc_topology_t topology, hwloc_const_cpuset_t allowed, hwloc_bitmap_t others)
{
    hwloc_bitmap_zero(others);
    const int cpu = chooseExecutorCpu(topology, allowed);
    if (cpu < 0)
        return -1;
    hwloc_bitmap_copy(others, allowed);
    const hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(topology, static_cast<unsigned>(cpu));
    const hwloc_obj_t core =
        pu != nullptr ? hwloc_get_ancestor_obj_by_type(topology, HWLOC_OBJ_CORE, pu) : nullptr;
    if (core != nullptr)
        hwloc_bitmap_andnot(others, others, core->cpuset);
    /* A hyper-thread of the executor's core is still better than its own CPU. */
    if (hwloc_bitmap_iszero(others))
        hwloc_bitmap_copy(others, allowed);
    hwloc_bitmap_clr(others, static_cast<unsigned>(cpu));
    return cpu;
}

CoreReservation reserveCoreForCallingThread()
{
    CoreReservation result;
    const Topology topology = loadTopology(result.problem);
    if (!topology)
        return result;
    Registry &r = registry();
    const std::lock_guard lock(r.mutex);
    /* A second executor chooses among what the first left, not from its inherited binding. */
    const bool first = r.reservations.empty();
    const Bitmap allowed = first ? callingThreadAllowed(topology.get()) : unreserved(r);
    const Bitmap others(hwloc_bitmap_alloc());
    const int cpu = splitForExecutor(topology.get(), allowed.get(), others.get());
    if (cpu < 0) {
        result.problem = first ? "no CPU is allowed" : "other step executors hold every CPU";
        return result;
    }
    const Bitmap target(hwloc_bitmap_alloc());
    hwloc_bitmap_only(target.get(), static_cast<unsigned>(cpu));
    if (hwloc_set_cpubind(topology.get(), target.get(), HWLOC_CPUBIND_THREAD) != 0) {
        result.problem = "binding to CPU " + std::to_string(cpu) + ": " + std::strerror(errno);
        return result;
    }
    result.cpu = cpu;
    if (hwloc_bitmap_iszero(others.get())) {
        result.problem = "CPU " + std::to_string(cpu) + " is the only one " +
                         (first ? "allowed" : "that other step executors left");
        return result;
    }
    if (first)
        r.base.reset(hwloc_bitmap_dup(allowed.get()));
    Bitmap held(hwloc_bitmap_dup(allowed.get()));
    hwloc_bitmap_andnot(held.get(), held.get(), others.get());
    r.reservations.push_back({gettid(), std::move(held)});
    std::string error;
    result.isolated = bindThreads(topology.get(), others.get(), reservedThreads(r), error);
    if (!result.isolated)
        result.problem = "binding the other threads away from it: " + error;
    return result;
}

void releaseCoreOfCallingThread() noexcept
{
    Registry &r = registry();
    const std::lock_guard lock(r.mutex);
    const pid_t self = gettid();
    const auto it = std::find_if(r.reservations.begin(), r.reservations.end(),
                                 [self](const Reservation &x) { return x.tid == self; });
    if (it == r.reservations.end())
        return;
    r.reservations.erase(it);
    /* Best effort: where it fails, threads keep the narrower binding. */
    std::string error;
    if (const Topology topology = loadTopology(error)) {
        std::set<pid_t> skip = reservedThreads(r);
        skip.insert(self);
        const Bitmap others = unreserved(r);
        bindThreads(topology.get(), others.get(), std::move(skip), error);
    }
    if (r.reservations.empty())
        r.base.reset();
}

} // namespace lockstep
