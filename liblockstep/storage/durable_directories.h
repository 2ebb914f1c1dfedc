/* The folders a writer makes for its files, each one's own entry made durable in its parent
 * before any file goes into it. Renaming a file and syncing its folder (durable_batch.h) makes
 * the file durable in that folder, not the folder in its parent: without this, a crash could
 * lose a whole position's folder after its frames were recorded in the manifest.
 *
 * ensure() is mkdir -p, then an fsync of the parent of every folder it made, outermost first.
 * It is thread-safe: a writer that asks for a folder another is still making waits for that
 * sync; each folder is made and synced once per instance (one per WriterPool), so a position's
 * folder costs one extra sync, on a writer thread, not on the scan's. */
#pragma once

#include <functional>
#include <mutex>
#include <set>
#include <string>

#include "util/staged_file.h"

namespace lockstep
{

class DurableDirectories
{
public:
    /* Makes a new folder's entry durable in its parent; by default syncDirectoryOf(folder),
     * an fsync of the parent. Tests pass one that records the folders instead. */
    using EntrySync = std::function<void(const std::string &folder)>;

    explicit DurableDirectories(EntrySync sync = syncDirectoryOf);

    /* Throws RunError("cannot create directory PATH: ..."), or one naming the folder whose
     * parent could not be synced. A folder that already existed is taken as it is. */
    void ensure(const std::string &path);

private:
    EntrySync sync_;
    std::mutex mutex_;
    std::set<std::string> ready_; /* folders ensure() returned for */
};

} // namespace lockstep
