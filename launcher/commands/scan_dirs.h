/* The scans a DIR argument names: DIR itself if it holds scan.json, else each of its
 * subfolders that does. */
#pragma once

#include <string>
#include <vector>

namespace lockstep
{

/* Throws InputError if DIR holds no scan. */
std::vector<std::string> scanRoots(const std::string &dir);

} // namespace lockstep
