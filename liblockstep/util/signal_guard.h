/* SIGINT/SIGTERM/SIGHUP handling without work in signal handlers: the signals are blocked in
 * every thread and a watcher thread waits for them, raises a stop flag that the executor and
 * the scan loop poll, and, if the process is still alive after a grace period, runs the
 * emergency action (release every ENABLE) and exits with 128+signal. */
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

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
    /* An action run from the watcher thread as soon as a signal arrives, before the grace
     * period: to say at once what will happen, while a launcher still passes output on (Open
     * MPI's mpirun stops forwarding a job's output soon after it aborts the job). Same rules
     * as the emergency action; cleared with an empty function. */
    void setNotice(std::function<void()> notice);

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

/* "SIGTERM" for SIGTERM ("signal N" for one without a name). */
std::string signalName(int sig);

/* Sleeps until the absolute time t of `clock` or until `stop` is raised, whichever comes first
 * (it looks every 10 ms, so a stop cuts a long wait short within that): false if stopped. For
 * the waits of a scan, which a signal must end within 100 ms. */
bool sleepUnlessStopped(MonotonicInstant t, const std::atomic<bool> &stop);
bool sleepUnlessStopped(RealtimeInstant t, const std::atomic<bool> &stop);

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
