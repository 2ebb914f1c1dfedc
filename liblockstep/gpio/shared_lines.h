/* The simulated chip's shared state: a small memory-mapped file, <simDir>/gpio/<node>.lines,
 * that every process on the machine can map to read or drive line levels.
 *
 * Layout (fixed, host byte order, 336 bytes):
 *   offset   0  uint32  magic    0x4c53474c ("LGSL" little-endian)
 *   offset   4  uint32  version  1
 *   offset   8  uint32  lines    64
 *   offset  12  uint32  reserved 0
 *   offset  16  uint8   level[64]  physical level of each line, 0 or 1
 *   offset  80  int32   owner[64]  pid of the process holding the line, 0 = free
 * Levels and owners are accessed atomically, so no lock is needed to read or write a level.
 * Claiming and releasing lines happens under flock(LOCK_EX) on the file. */
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>

namespace lockstep
{

constexpr unsigned kSimLineCount = 64;

struct SimLinesState {
    uint32_t magic;
    uint32_t version;
    uint32_t lines;
    uint32_t reserved;
    std::atomic<uint8_t> level[kSimLineCount];
    std::atomic<int32_t> owner[kSimLineCount];
};

/* One mapping of a node's state file. Move-only. */
class SharedLines
{
public:
    enum class Mode { Create, OpenExisting, ReadOnly };

    /* Create: makes the directories and the file if needed. OpenExisting and ReadOnly throw
     * RunError if the file is absent or not yet initialised; ReadOnly maps it read-only, so any
     * user who may read the file can read levels (never write through state() then). */
    SharedLines(const std::string &path, Mode mode);
    ~SharedLines();
    SharedLines(const SharedLines &) = delete;
    SharedLines &operator=(const SharedLines &) = delete;

    /* Claims every listed line for this process; throws RunError (like EBUSY) naming the first
     * line a live process holds, and then claims none. */
    void claim(std::span<const unsigned> offsets);
    /* Gives back the listed lines this process holds; levels stay as they are. */
    void release(std::span<const unsigned> offsets) noexcept;

    SimLinesState &state() { return *state_; }
    const SimLinesState &state() const { return *state_; }

private:
    std::string path_;
    int fd_ = -1;
    SimLinesState *state_ = nullptr;
};

} // namespace lockstep
