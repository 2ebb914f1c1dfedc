/* A file written under a hidden temporary name in its target's directory and published by
 * renaming it over the target: a reader, or a machine that lost power, sees the old file or the
 * whole new one, never part of one. The steps are separate so that many files can share their
 * flush and their directory's sync (storage/durable_batch.h); writeFileAtomic() is the one-file
 * case. A file not published is removed when the object goes. */
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "util/unique_fd.h"

namespace lockstep
{

class StagedFile
{
public:
    /* Creates ".NAME.tmp-PID-N" next to the target (O_EXCL: never into a file someone else
     * made). Throws RunError("cannot write TARGET: ..."). */
    explicit StagedFile(std::string target);
    ~StagedFile();
    StagedFile(StagedFile &&other) noexcept;
    StagedFile &operator=(StagedFile &&) = delete;
    StagedFile(const StagedFile &) = delete;
    StagedFile &operator=(const StagedFile &) = delete;

    void write(std::span<const uint8_t> bytes);
    /* Asks the kernel to start writing the data out now, without waiting (sync_file_range):
     * the flushes of many files then overlap instead of queueing one behind another. Only a
     * hint; file systems that lack it are ignored. */
    void startWriteback();
    /* fdatasync, then close (which can report a deferred write error, on NFS for one). */
    void flush();
    /* Renames it over the target. Durable once the directory is synced. */
    void publish();

    const std::string &target() const { return target_; }
    const std::string &temporaryName() const { return name_; }

private:
    std::string target_;
    std::string name_;
    UniqueFd fd_;
    bool published_ = false;
};

/* fsync of the directory holding `target`: the directory entry a rename made is on disk only
 * once its directory is. Throws RunError naming the target. */
void syncDirectoryOf(const std::string &target);

} // namespace lockstep
