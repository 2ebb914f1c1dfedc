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
#include "util/clock.h"

namespace lockstep
{

struct ExecutorOptions {
    Nanos stepPulse = 2'000;      /* STEP active time */
    Nanos dirSetup = 5'000;       /* DIR settles before the first STEP edge */
    Nanos enableSetup = 100'000;  /* ENABLE asserted before the first STEP edge */
    Nanos maxLateness = 500'000;  /* an edge later than this aborts the move */
    Nanos startDelay = 1'000'000; /* the move starts this long after execute() is called */
    /* The last stretch of each wait is spent polling the clock instead of sleeping: a timer
     * wake-up costs tens of microseconds, more than a step pulse or a 50 kHz step period. */
    Nanos spinBelow = 50'000;
    bool realtime = true;       /* try SCHED_FIFO + mlockall + a core of its own */
    bool recordLateness = true; /* keep every edge's lateness in the report */
};

/* What the thread managed to get from the OS, with a human-readable warning if not all. */
struct RealtimeStatus {
    bool fifo = false;
    bool locked = false;
    int cpu = -1;          /* the core the thread is pinned to, -1 if not pinned */
    bool isolated = false; /* the process's other threads are kept off that core */
    std::string warning;   /* empty when everything was granted */
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
    std::vector<int64_t> finalSteps; /* per axis, counted from emitted STEP edges */
    std::vector<Nanos> lateness;     /* per emitted edge, ns after its planned time */
    Nanos maxLateness = 0;
    size_t edges = 0;
    Nanos startMonotonic = 0; /* planned time of the move's t = 0 */
    Nanos startRealtime = 0;  /* the same instant on CLOCK_REALTIME */
    Nanos endMonotonic = 0;
};

/* Watches a move from the thread that called execute(), never from the real-time thread:
 * about every `interval` it is given each axis' absolute step position at that moment, and
 * once more when the move has ended. For progress displays. */
struct MoveObserver {
    Nanos interval = 100'000'000;
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
