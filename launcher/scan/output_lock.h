/* A scan owns its folder: rank 0 holds an exclusive lock on DIR/<scan>/.lock for the whole scan
 * (and for a --resume), taken before anything else is created there. A second scan into the same
 * folder is refused at once, naming the holder, and leaves nothing behind.
 *
 * flock(2): on a local disk a lock of the open file; on NFS the Linux client sends it to the
 * server as a whole-file byte-range lock, so it holds across nodes too. The lock file is never
 * removed: removing it would let a later scan lock a new file while an earlier one still holds
 * the old, unlinked one. */
#pragma once

#include <string>

#include "util/unique_fd.h"

namespace lockstep
{

class OutputLock
{
public:
    /* Creates DIR/<scan> if needed and locks it. Throws InputError (exit status 2) when another
     * process holds it, naming that process; RunError when the folder cannot be made. */
    explicit OutputLock(const std::string &scanRoot);

    const std::string &path() const { return path_; }

private:
    std::string path_;
    UniqueFd fd_;
};

} // namespace lockstep
