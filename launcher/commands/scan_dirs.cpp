#include "commands/scan_dirs.h"

#include <algorithm>
#include <filesystem>

#include "util/errors.h"

namespace lockstep
{

namespace fs = std::filesystem;

std::vector<std::string> scanRoots(const std::string &dir)
{
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw InputError(dir + ": not a directory");
    if (fs::exists(fs::path(dir) / "scan.json"))
        return {dir};
    std::vector<std::string> roots;
    for (const auto &entry : fs::directory_iterator(dir))
        if (entry.is_directory() && fs::exists(entry.path() / "scan.json"))
            roots.push_back(entry.path().string());
    std::sort(roots.begin(), roots.end());
    if (roots.empty())
        throw InputError(dir + ": holds no lockstep scan (no scan.json)");
    return roots;
}

} // namespace lockstep
