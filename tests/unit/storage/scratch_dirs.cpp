#include "scratch_dirs.h"

#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace lockstep::test
{

namespace
{

std::string makeTempDir()
{
    std::string pattern = "/tmp/lockstep-storage-XXXXXX";
    if (!mkdtemp(pattern.data()))
        throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
    return pattern;
}

/* Moves this process into a private mount namespace, once, so test mounts stay invisible to
 * the rest of the machine and vanish with the process. */
bool enterPrivateMountNamespace(std::string &whyNot)
{
    static const std::string failure = []() -> std::string {
        if (unshare(CLONE_NEWNS) != 0)
            return std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno);
        if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            return std::string("making / private: ") + std::strerror(errno);
        return {};
    }();
    whyNot = failure;
    return failure.empty();
}

} // namespace

TempDir::TempDir() : path_(makeTempDir()) {}

TempDir::~TempDir()
{
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::optional<ScratchMount> ScratchMount::create(const std::string &options, std::string &whyNot)
{
    if (geteuid() != 0) {
        whyNot = "mounting a tmpfs needs root";
        return std::nullopt;
    }
    if (!enterPrivateMountNamespace(whyNot))
        return std::nullopt;
    std::string path = makeTempDir();
    if (mount("tmpfs", path.c_str(), "tmpfs", 0, options.c_str()) != 0) {
        whyNot = "mount -t tmpfs -o " + options + ": " + std::strerror(errno);
        rmdir(path.c_str());
        return std::nullopt;
    }
    return ScratchMount(std::move(path));
}

ScratchMount::ScratchMount(ScratchMount &&other) noexcept : path_(std::move(other.path_))
{
    other.path_.clear();
}

ScratchMount::~ScratchMount()
{
    if (path_.empty())
        return;
    umount2(path_.c_str(), MNT_DETACH);
    rmdir(path_.c_str());
}

std::vector<std::string> listDirectory(const std::string &path)
{
    std::vector<std::string> names;
    for (const auto &entry : std::filesystem::directory_iterator(path))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::vector<uint8_t> readFileBytes(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> linesOf(const std::string &path)
{
    std::vector<std::string> lines;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

} // namespace lockstep::test
