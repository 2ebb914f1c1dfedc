#include "util/staged_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "util/atomic_file.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

[[noreturn]] void fail(const std::string &path, int error)
{
    throw RunError("cannot write " + path + ": " + std::strerror(error));
}

} // namespace

StagedFile::StagedFile(std::string target) : target_(std::move(target))
{
    static std::atomic<unsigned> counter{0};
    const std::filesystem::path path(target_);
    const std::string stem = (path.parent_path() / ("." + path.filename().string())).string();
    for (int attempt = 0; attempt < 100; ++attempt) {
        name_ = stem + ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
        fd_.reset(::open(name_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (fd_.valid())
            return;
        if (errno != EEXIST)
            fail(target_, errno);
    }
    fail(target_, EEXIST);
}

StagedFile::StagedFile(StagedFile &&other) noexcept
    : target_(std::move(other.target_)), name_(std::move(other.name_)), fd_(std::move(other.fd_)),
      published_(std::exchange(other.published_, true))
{
}

StagedFile::~StagedFile()
{
    fd_.reset();
    if (!published_ && !name_.empty())
        ::unlink(name_.c_str());
}

void StagedFile::write(std::span<const uint8_t> bytes)
{
    writeAll(fd_.get(), bytes, target_);
}

void StagedFile::startWriteback()
{
    if (fd_.valid())
        (void)::sync_file_range(fd_.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
}

void StagedFile::flush()
{
    if (::fdatasync(fd_.get()) != 0)
        fail(target_, errno);
    /* The data is on disk and this process will not read it again: its pages go back now
     * rather than filling the page cache with frames. A writer then reuses recently freed
     * pages instead of taking fresh ones, which costs more per byte than the copy itself
     * (docs/performance.md, Writer). Only advice: an error changes nothing. */
    (void)::posix_fadvise(fd_.get(), 0, 0, POSIX_FADV_DONTNEED);
    if (::close(fd_.release()) != 0)
        fail(target_, errno);
}

void StagedFile::publish()
{
    if (::rename(name_.c_str(), target_.c_str()) != 0)
        fail(target_, errno);
    published_ = true;
}

void syncDirectoryOf(const std::string &target)
{
    std::string parent = std::filesystem::path(target).parent_path().string();
    if (parent.empty())
        parent = ".";
    const UniqueFd fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid())
        fail(target, errno);
    if (::fsync(fd.get()) != 0)
        fail(target, errno);
}

} // namespace lockstep
