#include "util/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "util/errors.h"

namespace lockstep
{

namespace
{

[[noreturn]] void fail(const std::string &path, int error)
{
    throw RunError("cannot write " + path + ": " + std::strerror(error));
}

std::string parentOf(const std::string &path)
{
    const std::string parent = std::filesystem::path(path).parent_path().string();
    return parent.empty() ? "." : parent;
}

/* A new file next to the target, removed again unless committed by renaming it over the
 * target. */
class TempFile
{
public:
    explicit TempFile(const std::string &target) : target_(target)
    {
        static std::atomic<unsigned> counter{0};
        const std::filesystem::path path(target);
        const std::string stem = (path.parent_path() / ("." + path.filename().string())).string();
        /* O_EXCL: never write into a file someone else created; retry on the rare clash. */
        for (int attempt = 0; attempt < 100; ++attempt) {
            name_ = stem + ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
            fd_ = ::open(name_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (fd_ >= 0)
                return;
            if (errno != EEXIST)
                fail(target_, errno);
        }
        fail(target_, EEXIST);
    }

    ~TempFile()
    {
        if (fd_ >= 0)
            ::close(fd_);
        if (!committed_)
            ::unlink(name_.c_str());
    }

    TempFile(const TempFile &) = delete;
    TempFile &operator=(const TempFile &) = delete;

    void write(std::span<const uint8_t> bytes) { writeAll(fd_, bytes, target_); }

    /* fsync, close (which can report a deferred write error), rename over the target. */
    void commit()
    {
        if (::fsync(fd_) != 0)
            fail(target_, errno);
        const int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0)
            fail(target_, errno);
        if (::rename(name_.c_str(), target_.c_str()) != 0)
            fail(target_, errno);
        committed_ = true;
    }

private:
    std::string target_;
    std::string name_;
    int fd_ = -1;
    bool committed_ = false;
};

/* Makes the rename durable: the directory entry is only on disk once its directory is. */
void syncDirectory(const std::string &target)
{
    const int fd = ::open(parentOf(target).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        fail(target, errno);
    const int status = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    if (status != 0)
        fail(target, error);
}

} // namespace

void writeAll(int fd, std::span<const uint8_t> bytes, const std::string &path)
{
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            fail(path, errno);
        done += static_cast<size_t>(n);
    }
}

void writeFileAtomic(const std::string &path, std::span<const uint8_t> bytes)
{
    {
        TempFile temp(path);
        temp.write(bytes);
        temp.commit();
    }
    syncDirectory(path);
}

void writeFileAtomic(const std::string &path, const std::string &text)
{
    writeFileAtomic(path, std::span(reinterpret_cast<const uint8_t *>(text.data()), text.size()));
}

void makeDirectories(const std::string &path)
{
    std::error_code error;
    std::filesystem::create_directories(path, error);
    if (error)
        throw RunError("cannot create directory " + path + ": " + error.message());
}

} // namespace lockstep
