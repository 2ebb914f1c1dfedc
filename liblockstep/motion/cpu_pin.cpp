#include "motion/cpu_pin.h"

#include <cerrno>
#include <cstring>
#include <memory>

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

} // namespace

int chooseExecutorCpu(hwloc_topology_t topology, hwloc_const_cpuset_t allowed)
{
    /* Some virtual machines expose no core objects: fall back to processing units. */
    const int cpu = lastIntersecting(topology, HWLOC_OBJ_CORE, allowed);
    return cpu >= 0 ? cpu : lastIntersecting(topology, HWLOC_OBJ_PU, allowed);
}

int pinCallingThread(std::string &error)
{
    hwloc_topology_t raw = nullptr;
    if (hwloc_topology_init(&raw) != 0) {
        error = "hwloc_topology_init failed";
        return -1;
    }
    const Topology topology(raw);
    if (hwloc_topology_load(topology.get()) != 0) {
        error = std::string("hwloc_topology_load: ") + std::strerror(errno);
        return -1;
    }
    const Bitmap allowed(hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(topology.get())));
    const Bitmap current(hwloc_bitmap_alloc());
    if (hwloc_get_cpubind(topology.get(), current.get(), HWLOC_CPUBIND_THREAD) == 0 &&
        hwloc_bitmap_intersects(current.get(), allowed.get()))
        hwloc_bitmap_and(allowed.get(), allowed.get(), current.get());

    const int cpu = chooseExecutorCpu(topology.get(), allowed.get());
    if (cpu < 0) {
        error = "no CPU is allowed";
        return -1;
    }
    const Bitmap target(hwloc_bitmap_alloc());
    hwloc_bitmap_only(target.get(), static_cast<unsigned>(cpu));
    if (hwloc_set_cpubind(topology.get(), target.get(), HWLOC_CPUBIND_THREAD) != 0) {
        error = "binding to CPU " + std::to_string(cpu) + ": " + std::strerror(errno);
        return -1;
    }
    return cpu;
}

} // namespace lockstep
