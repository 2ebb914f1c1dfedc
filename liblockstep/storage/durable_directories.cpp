#include "storage/durable_directories.h"

#include <filesystem>
#include <system_error>
#include <vector>

#include "util/errors.h"

namespace lockstep
{

DurableDirectories::DurableDirectories(EntrySync sync) : sync_(std::move(sync)) {}

void DurableDirectories::ensure(const std::string &path)
{
    const std::lock_guard lock(mutex_);
    if (ready_.count(path))
        return;
    /* The missing folders, outermost first. */
    std::vector<std::filesystem::path> missing;
    std::error_code error;
    for (std::filesystem::path p = path; !p.empty() && !std::filesystem::exists(p, error);
         p = p.parent_path()) {
        missing.insert(missing.begin(), p);
        if (p == p.parent_path())
            break;
    }
    for (const std::filesystem::path &folder : missing) {
        std::filesystem::create_directory(folder, error);
        if (error)
            throw RunError("cannot create directory " + folder.string() + ": " + error.message());
        sync_(folder.string()); /* its entry in its parent */
    }
    if (!std::filesystem::is_directory(path, error))
        throw RunError("cannot create directory " + path + ": " +
                       (error ? error.message() : std::string("not a directory")));
    ready_.insert(path);
}

} // namespace lockstep
