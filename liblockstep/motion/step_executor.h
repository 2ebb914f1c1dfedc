/* The step executor: a real-time thread that emits each planned edge at its absolute time and
 * measures how late it was. Planning lives in move_plan.h; this only times edges. */
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gpio/gpio_lines.h"
#include "gpio/motor_lines.h"
#include "motion/move_plan.h"
#include "util/chrono_clocks.h"

namespace lockstep
{

struct ExecutorOptions {
    Nanoseconds stepPulse = Microseconds(2);     /* STEP active time */
    Nanoseconds dirSetup = Microseconds(5);      /* DIR settles before the first STEP edge */
    Nanoseconds enableSetup = Microseconds(100); /* ENABLE asserted before the first STEP edge */
    /* An edge later than this aborts the move; a step is also aborted when it is later than
     * maxLatenessPeriods of its planned step period (the interval from the axis' previous step):
     * at speed a late step makes the motor lose step long before it makes the move late. */
    Nanoseconds maxLateness = Microseconds(500);
    double maxLatenessPeriods = 2.0;
    Nanoseconds startDelay = Milliseconds(1); /* the move starts this long after execute() */
    /* The last stretch of each wait is spent polling the clock instead of sleeping: a timer
     * wake-up costs tens of microseconds, more than a step pulse or a 50 kHz step period. */
    Nanoseconds spinBelow = Microseconds(50);
    bool realtime = true; /* try SCHED_FIFO + locked memory + a core of its own */
    /* SCHED_FIFO priority. 49 by default: below PREEMPT_RT's interrupt threads (50), so the
     * GPIO and timer interrupts the executor waits for are never held up by it. */
    int priority = 49;
    bool recordLateness = true; /* keep every edge's lateness in the report */
    /* Catch up late steps (next edge at the planned time, or a pulse after the last) instead of
     * shifting the rest of the move. Only for drivers that cannot lose a step (the simulated
     * motors): a real motor stepped faster than planned loses steps. */
    bool catchUp = false;
};

/* What the thread managed to get from the OS, with a human-readable warning if not all. */
struct RealtimeStatus {
    bool fifo = false;
    bool locked = false;    /* the executor's own stack and buffers are locked in memory */
    bool lockedAll = false; /* and every page mapped when it started (code, libraries) */
    int cpu = -1;           /* the core the thread is pinned to, -1 if not pinned */
    bool isolated = false;  /* the process's other threads are kept off that core */
    std::string warning;    /* empty when everything was granted */
};

/* An input line that ends a move early, for homing: "stop when the endstop reads active". */
struct InputTrigger {
    unsigned line = 0;
    bool activeLow = false;
};

struct MoveReport {
    bool completed = false; /* every planned edge emitted */
    bool triggered = false; /* executeUntil(): ended early because the input went active */
    std::string stopReason; /* why it stopped early: "stop requested", "late by ...", ... */
    std::vector<int64_t> finalSteps;   /* per axis, counted from emitted STEP edges */
    std::vector<Nanoseconds> lateness; /* per emitted edge, after its planned time */
    Nanoseconds maxLateness{0};        /* of an edge against the schedule it was aiming at */
    /* How far the move fell behind its plan: a late step shifts the rest of the move by its
     * lateness instead of catching up, so no step interval is ever shorter than planned. */
    Nanoseconds shift{0};
    size_t edges = 0;
    MonotonicInstant startMonotonic; /* planned time of the move's t = 0 */
    RealtimeInstant startRealtime;   /* the same instant on CLOCK_REALTIME */
    MonotonicInstant endMonotonic;
};

/* Watches a move from the thread that called execute(), never from the real-time thread:
 * about every `interval` it is given each axis' absolute step position at that moment, and
 * once more when the move has ended. For progress displays. */
struct MoveObserver {
    Nanoseconds interval = Milliseconds(100);
    std::function<void(std::span<const int64_t> steps)> onProgress;
};

class StepExecutor
{
public:
    /* Starts the executor thread (SCHED_FIFO, mlockall, hwloc-pinned to a core that the
     * process's other threads keep off while it runs, when permitted). The motors are in the
     * same order as the plan's axes. Lines start with ENABLE inactive. */
    StepExecutor(GpioLines &lines, std::vector<MotorLines> motors, ExecutorOptions options);
    /* Drives every ENABLE inactive, then stops the thread (the other threads get its core). */
    ~StepExecutor();

    StepExecutor(const StepExecutor &) = delete;
    StepExecutor &operator=(const StepExecutor &) = delete;

    /* Runs the plan: asserts ENABLE (kept asserted afterwards, for holding torque), sets DIR,
     * then every STEP edge at its absolute time. Returns when done or stopped; if stopped
     * (stop flag, lateness bound, GPIO error) ENABLE is already released when it returns. */
    MoveReport execute(const MovePlan &plan, const std::atomic<bool> *stop = nullptr,
                       const MoveObserver *observer = nullptr);

    /* As execute(), but the move ends after the first step at which `trigger` reads active
     * (also before the first step if it already does), the pulse finished and ENABLE still
     * asserted: the motor stops where the input changed. Checked after every step, so the
     * plan's speed must be one the motor can stop from at once (a homing speed). */
    MoveReport executeUntil(const MovePlan &plan, InputTrigger trigger,
                            const std::atomic<bool> *stop = nullptr,
                            const MoveObserver *observer = nullptr);

    /* ENABLE inactive on every motor. Safe to call from any thread, repeatedly. */
    void release() noexcept;

    const RealtimeStatus &realtimeStatus() const;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace lockstep
