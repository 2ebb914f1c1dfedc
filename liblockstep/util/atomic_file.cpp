#include "util/atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "util/errors.h"
#include "util/staged_file.h"

namespace lockstep
{

namespace
{

[[noreturn]] void fail(const std::string &path, int error)
{
    throw RunError("cannot write " + path + ": " + std::strerror(error));
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
    StagedFile file(path);
    file.write(bytes);
    file.flush();
    file.publish();
    syncDirectoryOf(path);
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
