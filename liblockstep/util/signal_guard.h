/* SIGINT/SIGTERM/SIGHUP handling without work in signal handlers: the signals are blocked in
 * every thread and a watcher thread waits for them, raises a stop flag that the executor and
 * the scan loop poll, and, if the process is still alive after a grace period, runs the
 * emergency action (release every ENABLE) and exits with 128+signal. */
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "util/chrono_clocks.h"

namespace lockstep
{

class SignalGuard
{
public:
    /* Call before any other thread starts (threads inherit the blocked mask). */
    SignalGuard();
    ~SignalGuard();

    const std::atomic<bool> &stopRequested() const;
    int signalNumber() const; /* 0 until a signal arrives */
    /* The action run from the watcher thread when the process has not finished `grace` after
     * the signal. Must be thread-safe (e.g. MotorGroup::release). */
    void setEmergency(std::function<void()> action, Nanoseconds grace = std::chrono::seconds(1));

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

/* An emergency action for a scope: declared after the object the action uses, it is cleared
 * before that object is destroyed, so the watcher never calls into a dead object. */
class ScopedEmergency
{
public:
    ScopedEmergency(SignalGuard &guard, std::function<void()> action,
                    Nanoseconds grace = std::chrono::seconds(1))
        : guard_(guard)
    {
        guard_.setEmergency(std::move(action), grace);
    }
    ~ScopedEmergency() { guard_.setEmergency({}); }
    ScopedEmergency(const ScopedEmergency &) = delete;
    ScopedEmergency &operator=(const ScopedEmergency &) = delete;

private:
    SignalGuard &guard_;
};

} // namespace lockstep
