#include "gpio/sim_gpio.h"

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "gpio/edge_log.h"
#include "gpio/shared_lines.h"
#include "gpio/spin_lock.h"
#include "gpio/track_publisher.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

constexpr auto kHousekeepingPeriod = std::chrono::milliseconds(2);

enum class Role : uint8_t { None, Output, Input };

uint8_t activeLevel(bool activeLow)
{
    return activeLow ? 0 : 1;
}

std::string lineName(unsigned offset)
{
    return "GPIO line " + std::to_string(offset);
}

struct DriverState {
    SimDriver config;
    std::atomic<int64_t> step{0};
};

std::vector<TrackPublisher::Motor> trackMotors(const std::vector<DriverState> &drivers)
{
    std::vector<TrackPublisher::Motor> motors;
    motors.reserve(drivers.size());
    for (const DriverState &driver : drivers)
        motors.push_back({driver.config.motor, driver.config.initialStep});
    return motors;
}

} // namespace

std::string simLinesPath(const std::string &simDir, const std::string &node)
{
    return simDir + "/gpio/" + node + ".lines";
}

std::string simTrackPath(const std::string &simDir, const std::string &motor)
{
    return simDir + "/tracks/" + motor + ".track";
}

class SimGpio::Impl
{
public:
    Impl(const std::string &simDir, const std::string &node, std::vector<SimDriver> drivers,
         const LineRequest &request);
    ~Impl();

    void set(std::span<const unsigned> offsets, std::span<const uint8_t> levels);
    uint8_t get(unsigned offset) const;
    std::vector<Edge> edges() const { return edges_.copy(); }
    int64_t driverStep(const std::string &motor) const;
    void flushTracks() { tracks_->flush(); }

private:
    void validate(const LineRequest &request);
    void apply(unsigned offset, uint8_t level, MonotonicInstant time,
               std::optional<RealtimeInstant> &realtime) noexcept;
    bool isActive(unsigned offset, bool activeLow) const;
    uint8_t endstopLevel(const DriverState &driver) const;
    void housekeep();

    SharedLines lines_;
    std::array<Role, kSimLineCount> roles_{};
    std::vector<unsigned> claimed_;
    std::vector<DriverState> drivers_;
    EdgeLog edges_;
    std::optional<TrackPublisher> tracks_; /* opened once the lines are ours */
    SpinLock setLock_;

    std::mutex stopMutex_;
    std::condition_variable stopCondition_;
    bool stop_ = false;
    bool flushErrorReported_ = false;
    size_t lossReported_ = 0;
    std::thread housekeeper_;
};

SimGpio::Impl::Impl(const std::string &simDir, const std::string &node,
                    std::vector<SimDriver> drivers, const LineRequest &request)
    : lines_(simLinesPath(simDir, node), SharedLines::Mode::Create), drivers_(drivers.size())
{
    for (size_t i = 0; i < drivers.size(); ++i) {
        drivers_[i].step.store(drivers[i].initialStep);
        drivers_[i].config = std::move(drivers[i]);
    }
    validate(request);

    lines_.claim(claimed_);
    try {
        tracks_.emplace(simDir, trackMotors(drivers_));
        std::optional<RealtimeInstant> realtime;
        const MonotonicInstant now = MonotonicClock::now();
        for (size_t i = 0; i < request.outputs.size(); ++i)
            apply(request.outputs[i], request.initialLevels[i] ? 1 : 0, now, realtime);
        for (const DriverState &driver : drivers_) {
            if (driver.config.endstop)
                lines_.state().level[*driver.config.endstop].store(endstopLevel(driver));
        }
        housekeeper_ = std::thread([this] { housekeep(); });
    } catch (...) {
        lines_.release(claimed_);
        throw;
    }
}

SimGpio::Impl::~Impl()
{
    {
        std::lock_guard lock(stopMutex_);
        stop_ = true;
    }
    stopCondition_.notify_one();
    housekeeper_.join();
    try {
        tracks_->flush();
    } catch (const RunError &e) {
        std::fprintf(stderr, "lockstep: %s\n", e.what());
    }
    lines_.release(claimed_);
}

void SimGpio::Impl::validate(const LineRequest &request)
{
    if (request.initialLevels.size() != request.outputs.size())
        throw RunError("line request: " + std::to_string(request.outputs.size()) + " outputs but " +
                       std::to_string(request.initialLevels.size()) + " initial levels");
    auto add = [this](unsigned offset, Role role) {
        if (offset >= kSimLineCount)
            throw RunError(lineName(offset) + " does not exist on the simulated chip (" +
                           std::to_string(kSimLineCount) + " lines)");
        if (roles_[offset] != Role::None)
            throw RunError(lineName(offset) + " is requested twice");
        roles_[offset] = role;
        claimed_.push_back(offset);
    };
    for (unsigned offset : request.outputs)
        add(offset, Role::Output);
    for (unsigned offset : request.inputs)
        add(offset, Role::Input);

    auto expect = [this](const SimDriver &driver, unsigned offset, Role role, const char *what) {
        if (offset >= kSimLineCount || roles_[offset] != role)
            throw RunError("simulated driver " + driver.motor + ": " + what + " " +
                           lineName(offset) + " is not a requested " +
                           (role == Role::Output ? "output" : "input"));
    };
    for (const DriverState &driver : drivers_) {
        const SimDriver &d = driver.config;
        expect(d, d.lines.step, Role::Output, "STEP");
        expect(d, d.lines.dir, Role::Output, "DIR");
        expect(d, d.lines.enable, Role::Output, "ENABLE");
        if (d.endstop)
            expect(d, *d.endstop, Role::Input, "endstop");
    }
}

void SimGpio::Impl::set(std::span<const unsigned> offsets, std::span<const uint8_t> levels)
{
    if (offsets.size() != levels.size())
        throw RunError("GPIO set: " + std::to_string(offsets.size()) + " lines but " +
                       std::to_string(levels.size()) + " levels");
    for (unsigned offset : offsets) {
        if (offset >= kSimLineCount || roles_[offset] != Role::Output)
            throw RunError("GPIO set: " + lineName(offset) + " is not a requested output");
    }

    std::lock_guard lock(setLock_);
    const MonotonicInstant now = MonotonicClock::now();
    std::optional<RealtimeInstant> realtime; /* read once, only if a track record is due */
    for (size_t i = 0; i < offsets.size(); ++i)
        apply(offsets[i], levels[i] ? 1 : 0, now, realtime);
}

/* Lines change in the order given: a simulated driver sees DIR and ENABLE as they are at the
 * moment its STEP edge is applied. */
void SimGpio::Impl::apply(unsigned offset, uint8_t level, MonotonicInstant time,
                          std::optional<RealtimeInstant> &realtime) noexcept
{
    auto &line = lines_.state().level[offset];
    const uint8_t previous = line.exchange(level);
    if (previous == level)
        return;
    edges_.append(Edge{time, offset, level});

    auto publish = [&](unsigned motor, int64_t step) {
        if (!realtime)
            realtime = RealtimeClock::now();
        tracks_->publish(motor, TrackRecord{*realtime, step});
    };
    for (unsigned motor = 0; motor < drivers_.size(); ++motor) {
        DriverState &driver = drivers_[motor];
        const SimDriver &d = driver.config;
        const MotorLines &m = d.lines;
        if (offset == m.enable) {
            publish(motor, driver.step.load(std::memory_order_relaxed));
        } else if (offset == m.step && level == activeLevel(m.stepActiveLow) &&
                   isActive(m.enable, m.enableActiveLow)) {
            const int64_t step = driver.step.load(std::memory_order_relaxed) +
                                 (isActive(m.dir, m.dirActiveLow) ? 1 : -1);
            driver.step.store(step, std::memory_order_relaxed);
            if (d.endstop)
                lines_.state().level[*d.endstop].store(endstopLevel(driver));
            publish(motor, step);
        }
    }
}

bool SimGpio::Impl::isActive(unsigned offset, bool activeLow) const
{
    return lines_.state().level[offset].load() == activeLevel(activeLow);
}

uint8_t SimGpio::Impl::endstopLevel(const DriverState &driver) const
{
    const SimDriver &d = driver.config;
    const int64_t beyond = (driver.step.load() - d.endstopStep) * d.homingDirection;
    const bool active = beyond >= 0;
    return active == !d.endstopActiveLow ? 1 : 0;
}

uint8_t SimGpio::Impl::get(unsigned offset) const
{
    if (offset >= kSimLineCount || roles_[offset] == Role::None)
        throw RunError("GPIO get: " + lineName(offset) + " is not requested");
    for (const DriverState &driver : drivers_) {
        if (driver.config.endstop == offset)
            return endstopLevel(driver);
    }
    return lines_.state().level[offset].load();
}

int64_t SimGpio::Impl::driverStep(const std::string &motor) const
{
    for (const DriverState &driver : drivers_) {
        if (driver.config.motor == motor)
            return driver.step.load();
    }
    throw RunError("no simulated driver for motor " + motor);
}

void SimGpio::Impl::housekeep()
{
    std::unique_lock lock(stopMutex_);
    while (!stopCondition_.wait_for(lock, kHousekeepingPeriod, [this] { return stop_; })) {
        edges_.prepareAhead();
        try {
            tracks_->flush();
        } catch (const RunError &e) {
            /* Reported once; flushTracks() and the destructor report it again if it persists. */
            if (!flushErrorReported_)
                std::fprintf(stderr, "lockstep: %s\n", e.what());
            flushErrorReported_ = true;
        }
        const size_t lost = tracks_->lost() + edges_.dropped();
        if (lost != lossReported_)
            std::fprintf(stderr, "lockstep: simulated GPIO fell behind: %zu records lost\n", lost);
        lossReported_ = lost;
    }
}

SimGpio::SimGpio(const std::string &simDir, const std::string &node, std::vector<SimDriver> drivers,
                 const LineRequest &request)
    : impl_(std::make_unique<Impl>(simDir, node, std::move(drivers), request))
{
}

SimGpio::~SimGpio() = default;

void SimGpio::set(std::span<const unsigned> offsets, std::span<const uint8_t> levels)
{
    impl_->set(offsets, levels);
}

uint8_t SimGpio::get(unsigned offset)
{
    return impl_->get(offset);
}

std::vector<Edge> SimGpio::edges() const
{
    return impl_->edges();
}

int64_t SimGpio::driverStep(const std::string &motor) const
{
    return impl_->driverStep(motor);
}

void SimGpio::flushTracks()
{
    impl_->flushTracks();
}

} // namespace lockstep
