#include "util/signal_guard.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include <pthread.h>
#include <unistd.h>

namespace lockstep
{

namespace
{

/* How often the watcher looks at the shutdown flag while no signal comes. */
constexpr Nanoseconds kPollInterval = std::chrono::milliseconds(100);

sigset_t guardedSignals()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    return set;
}

} // namespace

class SignalGuard::Impl
{
public:
    Impl();
    ~Impl();

    void setEmergency(std::function<void()> action, Nanoseconds grace);
    void setNotice(std::function<void()> notice);

    std::atomic<bool> stop_{false};
    std::atomic<int> signal_{0};

private:
    void watch();
    /* Waits up to `timeout` for a guarded signal; 0 if none came. */
    int waitSignal(Nanoseconds timeout) const;
    void emergencyExit(int sig);

    sigset_t set_ = guardedSignals();
    sigset_t previous_{};
    std::atomic<bool> shutdown_{false};
    std::mutex mutex_;
    std::function<void()> action_;
    std::function<void()> notice_;
    Nanoseconds grace_ = std::chrono::seconds(1);
    std::thread thread_;
};

SignalGuard::Impl::Impl()
{
    const int rc = pthread_sigmask(SIG_BLOCK, &set_, &previous_);
    if (rc != 0)
        throw std::runtime_error(std::string("pthread_sigmask: ") + std::strerror(rc));
    thread_ = std::thread([this] { watch(); });
}

SignalGuard::Impl::~Impl()
{
    shutdown_ = true;
    thread_.join();
    /* A signal that arrived after the watcher stopped stays pending and is delivered (with
     * its default action) once unblocked: the process then ends as it would without us. */
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

int SignalGuard::Impl::waitSignal(Nanoseconds timeout) const
{
    const timespec ts = toTimespec(timeout);
    const int sig = sigtimedwait(&set_, nullptr, &ts);
    return sig > 0 ? sig : 0;
}

void SignalGuard::Impl::watch()
{
    int sig = 0;
    while (sig == 0 && !shutdown_)
        sig = waitSignal(kPollInterval);
    if (sig == 0)
        return;
    signal_ = sig;
    stop_ = true;

    Nanoseconds grace{0};
    {
        const std::lock_guard lock(mutex_);
        grace = grace_;
        if (notice_) {
            try {
                notice_();
            } catch (...) {
                /* Only words were lost; the stop goes on. */
            }
        }
    }
    /* Give the main thread the grace period to stop cleanly (and destroy us); a second
     * signal means the user does not want to wait. */
    const MonotonicInstant deadline = MonotonicClock::now() + grace;
    for (MonotonicInstant now = MonotonicClock::now(); now < deadline && !shutdown_;
         now = MonotonicClock::now()) {
        if (waitSignal(std::min(kPollInterval, deadline - now)) != 0)
            break;
    }
    if (!shutdown_)
        emergencyExit(sig);
}

void SignalGuard::Impl::emergencyExit(int sig)
{
    {
        /* Held while the action runs, so an owner that clears the action before destroying
         * what it refers to waits for a running action to finish. */
        const std::lock_guard lock(mutex_);
        if (action_) {
            try {
                action_();
            } catch (...) {
                /* Exiting anyway: the action was the last chance to make things safe. */
            }
        }
    }
    _exit(128 + sig);
}

void SignalGuard::Impl::setEmergency(std::function<void()> action, Nanoseconds grace)
{
    const std::lock_guard lock(mutex_);
    action_ = std::move(action);
    grace_ = grace;
}

std::string signalName(int sig)
{
    if (const char *abbrev = sigabbrev_np(sig); abbrev != nullptr)
        return std::string("SIG") + abbrev;
    return "signal " + std::to_string(sig);
}

namespace
{

template <class Clock>
bool sleepOnClockUnlessStopped(std::chrono::time_point<Clock, Nanoseconds> t,
                               const std::atomic<bool> &stop)
{
    constexpr Nanoseconds kLook = std::chrono::milliseconds(10);
    for (;;) {
        if (stop.load())
            return false;
        const auto now = Clock::now();
        const Nanoseconds left = t - now;
        if (left <= Nanoseconds::zero())
            return true;
        if (left <= kLook) {
            sleepUntil(t);
            return !stop.load();
        }
        sleepUntil(now + kLook);
    }
}

} // namespace

bool sleepUnlessStopped(MonotonicInstant t, const std::atomic<bool> &stop)
{
    return sleepOnClockUnlessStopped(t, stop);
}

bool sleepUnlessStopped(RealtimeInstant t, const std::atomic<bool> &stop)
{
    return sleepOnClockUnlessStopped(t, stop);
}

void SignalGuard::Impl::setNotice(std::function<void()> notice)
{
    const std::lock_guard lock(mutex_);
    notice_ = std::move(notice);
}

void SignalGuard::setNotice(std::function<void()> notice)
{
    impl_->setNotice(std::move(notice));
}

SignalGuard::SignalGuard() : impl_(std::make_unique<Impl>()) {}

SignalGuard::~SignalGuard() = default;

const std::atomic<bool> &SignalGuard::stopRequested() const
{
    return impl_->stop_;
}

int SignalGuard::signalNumber() const
{
    return impl_->signal_;
}

void SignalGuard::setEmergency(std::function<void()> action, Nanoseconds grace)
{
    impl_->setEmergency(std::move(action), grace);
}

} // namespace lockstep
