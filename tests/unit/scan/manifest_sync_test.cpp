/* The manifest's durability promise: each line is on disk (fdatasync'ed) before append()
 * returns, so a power cut never loses a position that rank 0 already reported. Seen from inside
 * the process: this executable defines fdatasync itself, which the library's call binds to, and
 * records which file was synced before passing the call on to the C library's. */
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <dlfcn.h>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "scan/manifest.h"

namespace
{

std::vector<std::string> &syncedFiles()
{
    static std::vector<std::string> files;
    return files;
}

} // namespace

extern "C" int fdatasync(int fd)
{
    std::error_code ec;
    syncedFiles().push_back(
        std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd), ec).string());
    using Fn = int (*)(int);
    static const auto real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "fdatasync"));
    return real != nullptr ? real(fd) : -1;
}

BOOST_AUTO_TEST_CASE(each_manifest_line_is_synced_before_append_returns)
{
    char name[] = "/tmp/manifest-sync-test.XXXXXX";
    const std::string dir = mkdtemp(name);
    const std::string path = dir + "/manifest.jsonl";
    {
        lockstep::ManifestWriter writer(path, {});
        for (int k = 0; k < 3; ++k) {
            syncedFiles().clear();
            writer.append({{"type", "position"}, {"position", k}});
            BOOST_TEST(syncedFiles() == std::vector<std::string>{path},
                       "line " << k << " was not synced on its own file");
        }
    }
    std::filesystem::remove_all(dir);
}
