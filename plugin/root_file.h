/* Files the plugin trusts: those in its root-owned lock directory (device locks, grant records,
 * unsafe marks) and the configuration it reads (the rig file). Nothing a user could write. */
#pragma once

#include <string>
#include <sys/types.h>

namespace lockstep::spank
{

/* Opens `name` in the directory `dir` read/write, creating it with `mode` if missing, never
 * through a symlink, and checks that it is a plain file owned by root with one link (no hard
 * link a user planted from elsewhere). A file with other permission bits (made by an older
 * version, 0644) gets `mode`. `what` names the file in errors. Returns the descriptor
 * (close-on-exec). Throws RunError. */
int openRootFile(int dir, const std::string &name, mode_t mode, const std::string &what);

/* Every directory above `path` (symlinks resolved) must be owned by root and writable by nobody
 * else unless sticky (like /tmp): otherwise a user could rename what lies below and put their
 * own in its place. `what` starts the error message. Throws RunError. */
void checkRootAncestors(const std::string &path, const std::string &what);

/* A configuration file root relies on: opened without following a symlink, a regular file
 * owned by root, writable by nobody else, in directories only root can change
 * (checkRootAncestors). Once all that holds no user can swap it, so it may be read again by
 * path. `what` names it in errors ("rig file"). Throws RunError. */
void checkRootConfigFile(const std::string &path, const std::string &what);

} // namespace lockstep::spank
