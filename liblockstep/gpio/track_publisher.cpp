#include "gpio/track_publisher.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gpio/sim_gpio.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

[[noreturn]] void fail(const std::string &what, const std::string &path, int error)
{
    throw RunError(what + " " + path + ": " + std::strerror(error));
}

/* The position the file already ends at, if any. A torn last record (writer killed mid-write)
 * is cut off so later records stay aligned. */
std::optional<int64_t> lastStep(int fd, const std::string &path)
{
    struct stat st = {};
    if (fstat(fd, &st) != 0)
        fail("cannot stat", path, errno);
    const off_t whole = st.st_size - st.st_size % static_cast<off_t>(sizeof(TrackFileRecord));
    if (whole != st.st_size && ftruncate(fd, whole) != 0)
        fail("cannot repair", path, errno);
    if (whole == 0)
        return std::nullopt;
    TrackFileRecord last{};
    if (pread(fd, &last, sizeof(last), whole - static_cast<off_t>(sizeof(last))) !=
        static_cast<ssize_t>(sizeof(last)))
        fail("cannot read", path, errno);
    return last.step;
}

} // namespace

TrackPublisher::TrackPublisher(const std::string &simDir, const std::vector<Motor> &motors)
{
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(simDir) / "tracks", ec);
    if (ec)
        throw RunError("cannot create " + simDir + "/tracks: " + ec.message());

    batches_.resize(motors.size());
    try {
        for (const Motor &motor : motors) {
            const std::string path = simTrackPath(simDir, motor.name);
            const int fd = open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
            if (fd < 0)
                fail("cannot open track", path, errno);
            paths_.push_back(path);
            fds_.push_back(fd);
            batches_[fds_.size() - 1].reserve(kBatchRecords);
            if (lastStep(fd, path) != motor.initialStep) {
                const TrackFileRecord initial =
                    toFileRecord({RealtimeClock::now(), motor.initialStep});
                write(fds_.size() - 1, &initial, 1);
            }
        }
    } catch (...) {
        for (int fd : fds_)
            close(fd);
        throw;
    }
}

TrackPublisher::~TrackPublisher()
{
    for (int fd : fds_)
        close(fd);
}

void TrackPublisher::publish(unsigned motor, const TrackRecord &record) noexcept
{
    if (!ring_.push(Event{motor, record}))
        lost_.fetch_add(1, std::memory_order_relaxed);
}

void TrackPublisher::flush()
{
    std::lock_guard lock(flushMutex_);
    Event event{};
    while (ring_.pop(event)) {
        auto &batch = batches_[event.motor];
        batch.push_back(toFileRecord(event.record));
        if (batch.size() == kBatchRecords) {
            write(event.motor, batch.data(), batch.size());
            batch.clear();
        }
    }
    for (unsigned motor = 0; motor < batches_.size(); ++motor) {
        write(motor, batches_[motor].data(), batches_[motor].size());
        batches_[motor].clear();
    }
}

void TrackPublisher::write(unsigned motor, const TrackFileRecord *records, size_t count)
{
    const auto *data = reinterpret_cast<const char *>(records);
    size_t left = count * sizeof(TrackFileRecord);
    while (left > 0) {
        const ssize_t n = ::write(fds_[motor], data, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            fail("cannot append to track", paths_[motor], errno);
        data += n;
        left -= static_cast<size_t>(n);
    }
}

} // namespace lockstep
