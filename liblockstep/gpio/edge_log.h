/* An append-only log of edges for one real-time writer: fixed-size chunks that a housekeeping
 * thread allocates ahead of the writer, so append() neither allocates nor makes a system call
 * in the common case. Readers on other threads copy what has been published. */
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <vector>

#include "gpio/sim_gpio.h"

namespace lockstep
{

class EdgeLog
{
public:
    static constexpr size_t kChunkEdges = size_t{1} << 16; /* 1 MiB of edges */
    static constexpr size_t kMaxChunks = size_t{1} << 14;  /* about 10^9 edges in all */

    EdgeLog();
    ~EdgeLog();
    EdgeLog(const EdgeLog &) = delete;
    EdgeLog &operator=(const EdgeLog &) = delete;

    /* Single writer. Allocates only if the housekeeping thread fell a whole chunk behind;
     * edges beyond kMaxChunks chunks are counted in dropped() and not kept. */
    void append(const Edge &edge) noexcept;
    /* Makes sure the chunk after the writer's current one exists (any thread). */
    void prepareAhead();

    std::vector<Edge> copy() const;
    size_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

private:
    Edge *chunk(size_t index);

    std::array<std::atomic<Edge *>, kMaxChunks> chunks_{};
    std::atomic<size_t> count_{0};
    std::atomic<size_t> dropped_{0};
};

} // namespace lockstep
