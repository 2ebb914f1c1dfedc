/* Files the plugin keeps in its root-owned lock directory (device locks, grant records). */
#pragma once

#include <string>
#include <sys/types.h>

namespace lockstep::spank
{

/* Opens `name` in the directory `dir` read/write, creating it with `mode` if missing, never
 * through a symlink, and checks that it is a plain file owned by root with one link (no hard
 * link a user planted from elsewhere). `what` names the file in errors. Returns the descriptor
 * (close-on-exec). Throws RunError. */
int openRootFile(int dir, const std::string &name, mode_t mode, const std::string &what);

} // namespace lockstep::spank
