#include "gpio/edge_log.h"

#include <new>

namespace lockstep
{

EdgeLog::EdgeLog()
{
    /* Two chunks up front; the housekeeping thread keeps one spare from then on. */
    chunk(0);
    chunk(1);
}

EdgeLog::~EdgeLog()
{
    for (auto &c : chunks_)
        delete[] c.load();
}

Edge *EdgeLog::chunk(size_t index)
{
    Edge *existing = chunks_[index].load(std::memory_order_acquire);
    if (existing)
        return existing;
    /* Value-initialised so the pages are touched here, not at the writer's first use. */
    Edge *fresh = new (std::nothrow) Edge[kChunkEdges]();
    if (!fresh)
        return nullptr;
    if (chunks_[index].compare_exchange_strong(existing, fresh, std::memory_order_acq_rel))
        return fresh;
    delete[] fresh; /* the other side won the race */
    return existing;
}

void EdgeLog::append(const Edge &edge) noexcept
{
    const size_t index = count_.load(std::memory_order_relaxed);
    const size_t c = index / kChunkEdges;
    Edge *target = c < kMaxChunks ? chunk(c) : nullptr;
    if (!target) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    target[index % kChunkEdges] = edge;
    count_.store(index + 1, std::memory_order_release);
}

void EdgeLog::prepareAhead()
{
    const size_t next = count_.load(std::memory_order_relaxed) / kChunkEdges + 1;
    if (next < kMaxChunks)
        chunk(next);
}

std::vector<Edge> EdgeLog::copy() const
{
    const size_t count = count_.load(std::memory_order_acquire);
    std::vector<Edge> edges;
    edges.reserve(count);
    for (size_t i = 0; i < count; ++i)
        edges.push_back(chunks_[i / kChunkEdges].load(std::memory_order_acquire)[i % kChunkEdges]);
    return edges;
}

} // namespace lockstep
