#include "motion/step_executor.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config/rig.h"
#include "motion/cpu_pin.h"
#include "util/clock_mapping.h"
#include "util/cpu_accounting.h"

namespace lockstep
{

namespace
{

/* Edge times are relative to the move's start; an axis with no edge left is due never. */
constexpr Nanoseconds kNever = Nanoseconds::max();
/* Longest single sleep, so that a stop request is seen within this. */
constexpr Nanoseconds kWaitSlice = Milliseconds(5);
constexpr const char *kReleased = "released during the move";
/* RT throttling (kernel.sched_rt_runtime_us, 950000 of 1000000 by default) stops a SCHED_FIFO
 * thread for 50 ms once it has run 95 % of a second. At high step rates the thread spins
 * between edges, so it takes a breather sleep every kMaxBusy: a few edges ~0.1 ms late
 * instead of a 50 ms stall. */
constexpr Nanoseconds kMaxBusy = Milliseconds(1);
constexpr Nanoseconds kBreather = Microseconds(60);

bool rtThrottlingEnabled()
{
    std::FILE *f = std::fopen("/proc/sys/kernel/sched_rt_runtime_us", "r");
    if (f == nullptr)
        return true;
    long runtime = 0;
    const bool read = std::fscanf(f, "%ld", &runtime) == 1;
    std::fclose(f);
    return !read || runtime >= 0;
}

uint8_t physical(bool active, bool activeLow)
{
    return active != activeLow ? 1 : 0;
}

std::string micros(Nanoseconds d)
{
    const int64_t ns = d.count();
    return std::to_string(ns / 1000) + "." + std::to_string((ns % 1000) / 100) + " us";
}

void validate(const ExecutorOptions &o)
{
    constexpr Nanoseconds zero = Nanoseconds::zero();
    if (o.stepPulse <= zero || o.dirSetup < zero || o.enableSetup < zero || o.maxLateness <= zero ||
        o.startDelay < zero || o.spinBelow < zero || o.spinBelow > kWaitSlice ||
        !(o.maxLatenessPeriods > 0) || o.priority < 1 || o.priority > 99)
        throw std::invalid_argument("step executor: stepPulse, maxLateness and "
                                    "maxLatenessPeriods must be positive, setup times and "
                                    "startDelay not negative, spinBelow within 0-5 ms, priority "
                                    "1-99");
}

/* [data, data + bytes) widened to whole pages: its first page and length. */
std::pair<const char *, size_t> pagesOf(const void *data, size_t bytes)
{
    const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    const size_t misalign = reinterpret_cast<uintptr_t>(data) % page;
    return {static_cast<const char *>(data) - misalign, bytes + misalign};
}

/* Locks [data, data + bytes), populated. */
bool lockRange(const void *data, size_t bytes)
{
    if (bytes == 0)
        return true;
    const auto [begin, length] = pagesOf(data, bytes);
    return mlock(begin, length) == 0;
}

void unlockRange(const void *data, size_t bytes)
{
    if (bytes == 0)
        return;
    const auto [begin, length] = pagesOf(data, bytes);
    munlock(begin, length);
}

template <typename T> bool lockVector(const std::vector<T> &v)
{
    return lockRange(v.data(), v.size() * sizeof(T));
}

/* The part of the calling thread's stack the edge loop uses (it grows down from the top). */
constexpr size_t kLockedStack = size_t{128} * 1024;

bool lockOwnStack()
{
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return false;
    void *base = nullptr;
    size_t size = 0;
    const bool known = pthread_attr_getstack(&attr, &base, &size) == 0;
    pthread_attr_destroy(&attr);
    if (!known)
        return false;
    const size_t bytes = std::min(size, kLockedStack);
    return lockRange(static_cast<const char *>(base) + size - bytes, bytes);
}

} // namespace

class StepExecutor::Impl
{
public:
    Impl(GpioLines &lines, std::vector<MotorLines> motors, ExecutorOptions options);
    ~Impl();

    MoveReport execute(const MovePlan &plan, const std::atomic<bool> *stop,
                       const MoveObserver *observer, std::optional<InputTrigger> trigger);
    void release() noexcept;

    RealtimeStatus status_;

private:
    /* One execute() handed to the thread. */
    struct Job {
        const MovePlan *plan = nullptr;
        const std::atomic<bool> *stop = nullptr;
        MoveReport *report = nullptr;
        std::optional<InputTrigger> trigger;
        std::exception_ptr error;
    };

    void threadMain();
    void setupRealtime();
    /* "SCHED_FIFO on cpu 1", or why not: the first thing to know about a late edge. */
    std::string schedulingSummary() const;
    void run(Job &job);
    /* Returns the release generation the move runs under. */
    uint64_t prepareLines(const MovePlan &plan, MoveReport &report);
    /* Sleeps until `target`, in slices. Returns the clock reading that ended the wait (at or
     * after target, the edge's lateness before the GPIO call), or nothing when the move must
     * stop (reason set). */
    std::optional<MonotonicInstant> waitUntil(MonotonicInstant target, const Job &job,
                                              uint64_t generation);
    bool mustStop(const Job &job, uint64_t generation);
    bool triggered(const InputTrigger &trigger);
    void abort(const MovePlan &plan, MoveReport &report, std::string reason);
    /* Sets the first `count` buffered lines unless release() came since `generation`. */
    bool setLines(size_t count, uint64_t generation);

    GpioLines &lines_;
    const std::vector<MotorLines> motors_;
    const ExecutorOptions options_;

    /* Serialises every set() between the thread and release(); release() bumps the
     * generation so that a move in progress stops at its next edge. */
    std::mutex linesMutex_;
    uint64_t generation_ = 0;
    std::vector<bool> enabled_;
    std::vector<int> dirState_; /* -1/+1 as last driven, 0 unknown */
    std::vector<unsigned> enableOffsets_;
    std::vector<uint8_t> enableInactive_;

    /* Where each axis is within the move; times relative to the move's start. */
    struct AxisState {
        int64_t steps = 0;            /* STEP active edges emitted */
        bool high = false;            /* STEP active: the next edge ends the pulse */
        Nanoseconds planned = kNever; /* the next edge's planned time */
        Nanoseconds due = kNever;     /* when it may happen: never earlier than planned, and
                                         never less than a pulse after the previous edge */
    };

    /* Preallocated, used by the thread only: no allocation while edges are timed. */
    std::vector<AxisState> axes_;
    std::vector<unsigned> offsets_; /* lines of one set() call */
    std::vector<uint8_t> levels_;
    std::vector<size_t> batchAxis_; /* the axis of each line in a STEP batch */
    /* Each axis' absolute step position, published for MoveObserver (relaxed stores). */
    std::vector<std::atomic<int64_t>> liveSteps_;
    bool breathe_ = false; /* SCHED_FIFO under RT throttling */
    MonotonicInstant lastBreather_;

    std::mutex executeMutex_; /* one execute() at a time */
    std::mutex jobMutex_;
    std::condition_variable jobCv_;
    Job *job_ = nullptr;
    bool jobDone_ = false;
    bool started_ = false;
    bool quit_ = false;
    std::thread thread_;
};

StepExecutor::Impl::Impl(GpioLines &lines, std::vector<MotorLines> motors, ExecutorOptions options)
    : lines_(lines), motors_(std::move(motors)), options_(options), enabled_(motors_.size()),
      dirState_(motors_.size()), axes_(motors_.size()), offsets_(2 * motors_.size()),
      levels_(2 * motors_.size()), batchAxis_(motors_.size()), liveSteps_(motors_.size())
{
    validate(options_);
    /* Motors may share one ENABLE line: name it once per call. */
    for (const MotorLines &m : motors_) {
        if (std::find(enableOffsets_.begin(), enableOffsets_.end(), m.enable) !=
            enableOffsets_.end())
            continue;
        enableOffsets_.push_back(m.enable);
        enableInactive_.push_back(physical(false, m.enableActiveLow));
    }
    release();
    thread_ = std::thread([this] { threadMain(); });
    std::unique_lock lock(jobMutex_);
    jobCv_.wait(lock, [this] { return started_; });
}

StepExecutor::Impl::~Impl()
{
    release();
    {
        const std::lock_guard lock(jobMutex_);
        quit_ = true;
    }
    jobCv_.notify_all();
    thread_.join();
}

void StepExecutor::Impl::setupRealtime()
{
    if (!options_.realtime)
        return;
    std::string problems;
    /* Klipper's recipe for a Linux-process MCU: FIFO priority, locked memory, own core. */
    sched_param param{};
    param.sched_priority = options_.priority;
    const int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
    status_.fifo = rc == 0;
    breathe_ = status_.fifo && rtThrottlingEnabled();
    if (rc != 0)
        problems += std::string("SCHED_FIFO refused (") + std::strerror(rc) +
                    "; needs CAP_SYS_NICE or an rtprio limit); ";
    /* Memory: never MCL_FUTURE. It would lock every later mapping too, and under a finite
     * RLIMIT_MEMLOCK the camera's frame buffers (37 MB each at 12 MP) then fail to map. What is
     * mapped now (code, libraries) is locked as it is touched where the limit allows the whole
     * address space (unlimited, or CAP_IPC_LOCK); the executor's own stack and buffers are
     * locked, populated, in any case: they fit in the default 8 MiB limit. */
    status_.lockedAll = mlockall(MCL_CURRENT | MCL_ONFAULT) == 0;
    status_.locked = lockOwnStack() && lockVector(axes_) && lockVector(offsets_) &&
                     lockVector(levels_) && lockVector(batchAxis_) && lockVector(liveSteps_);
    if (!status_.locked)
        problems += std::string("memory not locked (") + std::strerror(errno) +
                    "; needs CAP_IPC_LOCK or a memlock limit of at least 1 MiB); ";
    const CoreReservation core = reserveCoreForCallingThread();
    status_.cpu = core.cpu;
    status_.isolated = core.isolated;
    if (core.cpu < 0)
        problems += "not pinned to a core (" + core.problem + "); ";
    else if (!core.isolated)
        problems += "other threads share its core (" + core.problem + "); ";
    if (!problems.empty())
        status_.warning =
            "step timing is not real-time: " + problems.substr(0, problems.size() - 2);
}

std::string StepExecutor::Impl::schedulingSummary() const
{
    if (!status_.warning.empty())
        return status_.warning;
    return std::string(status_.fifo ? "SCHED_FIFO" : "not real-time (disabled)") +
           (status_.cpu >= 0 ? " on cpu " + std::to_string(status_.cpu) : "");
}

void StepExecutor::Impl::threadMain()
{
    setupRealtime();
    std::unique_lock lock(jobMutex_);
    started_ = true;
    jobCv_.notify_all();
    for (;;) {
        jobCv_.wait(lock, [this] { return quit_ || (job_ != nullptr && !jobDone_); });
        if (quit_) {
            releaseCoreOfCallingThread();
            return;
        }
        lock.unlock();
        try {
            run(*job_);
        } catch (...) {
            job_->error = std::current_exception();
            release();
        }
        lock.lock();
        jobDone_ = true;
        jobCv_.notify_all();
    }
}

MoveReport StepExecutor::Impl::execute(const MovePlan &plan, const std::atomic<bool> *stop,
                                       const MoveObserver *observer,
                                       std::optional<InputTrigger> trigger)
{
    const std::lock_guard serial(executeMutex_);
    if (plan.axisCount() != motors_.size())
        throw std::invalid_argument("plan has " + std::to_string(plan.axisCount()) + " axes for " +
                                    std::to_string(motors_.size()) + " motors");
    MoveReport report;
    int64_t totalSteps = 0;
    for (size_t a = 0; a < plan.axisCount(); ++a) {
        report.finalSteps.push_back(plan.fromStep(a));
        totalSteps += plan.stepCount(a);
        /* STEP must go inactive before the axis' next step: keep a period of at least two
         * pulses (50 % duty at most). */
        if (plan.stepCount(a) > 0 && plan.peakStepRate(a) > maxStepRate(options_.stepPulse))
            throw std::invalid_argument(
                "axis " + std::to_string(a) + " peaks at " + std::to_string(plan.peakStepRate(a)) +
                " steps/s, too fast for a " + micros(options_.stepPulse) + " step pulse");
    }
    if (totalSteps == 0) {
        report.completed = true;
        return report;
    }
    /* Filled, not just reserved, so the pages are faulted in before the edge loop. */
    if (options_.recordLateness)
        report.lateness.assign(static_cast<size_t>(2 * totalSteps), Nanoseconds::zero());
    /* The record is written by the edge loop: locked for the move where the limit allows. */
    const bool lockedRecord = status_.locked && lockVector(report.lateness);

    for (size_t a = 0; a < plan.axisCount(); ++a)
        liveSteps_[a].store(plan.fromStep(a), std::memory_order_relaxed);
    std::vector<int64_t> observed(plan.axisCount());
    auto observe = [&] {
        for (size_t a = 0; a < observed.size(); ++a)
            observed[a] = liveSteps_[a].load(std::memory_order_relaxed);
        observer->onProgress(observed);
    };

    Job job{&plan, stop, &report, trigger, nullptr};
    {
        std::unique_lock lock(jobMutex_);
        job_ = &job;
        jobDone_ = false;
        jobCv_.notify_all();
        if (observer != nullptr && observer->onProgress) {
            const Nanoseconds interval = std::max(observer->interval, Nanoseconds(1));
            while (!jobCv_.wait_for(lock, interval, [this] { return jobDone_; })) {
                lock.unlock();
                observe();
                lock.lock();
            }
        } else {
            jobCv_.wait(lock, [this] { return jobDone_; });
        }
        job_ = nullptr;
    }
    if (observer != nullptr && observer->onProgress)
        observe();
    if (lockedRecord)
        unlockRange(report.lateness.data(), report.lateness.size() * sizeof(Nanoseconds));
    if (job.error)
        std::rethrow_exception(job.error);
    if (options_.recordLateness)
        report.lateness.resize(report.edges);
    return report;
}

bool StepExecutor::Impl::setLines(size_t count, uint64_t generation)
{
    const std::lock_guard lock(linesMutex_);
    if (generation != generation_)
        return false;
    lines_.set(std::span(offsets_.data(), count), std::span(levels_.data(), count));
    return true;
}

void StepExecutor::Impl::release() noexcept
{
    const std::lock_guard lock(linesMutex_);
    ++generation_;
    try {
        lines_.set(enableOffsets_, enableInactive_);
        std::fill(enabled_.begin(), enabled_.end(), false);
    } catch (...) {
        /* Nothing better to do: the caller is already on a failure path, and a line that
         * cannot be driven cannot be made safer by retrying here. */
    }
}

uint64_t StepExecutor::Impl::prepareLines(const MovePlan &plan, MoveReport &report)
{
    /* ENABLE and DIR of the moving axes in one call; they settle before the first step. */
    size_t count = 0;
    uint64_t generation = 0;
    {
        const std::lock_guard lock(linesMutex_);
        for (size_t a = 0; a < motors_.size(); ++a) {
            const int dir = plan.direction(a);
            if (dir == 0)
                continue;
            const auto batch = offsets_.begin() + static_cast<std::ptrdiff_t>(count);
            if (!enabled_[a] && std::find(offsets_.begin(), batch, motors_[a].enable) == batch) {
                offsets_[count] = motors_[a].enable;
                levels_[count++] = physical(true, motors_[a].enableActiveLow);
            }
            if (dirState_[a] != dir) {
                offsets_[count] = motors_[a].dir;
                levels_[count++] = physical(dir > 0, motors_[a].dirActiveLow);
            }
        }
        if (count > 0)
            lines_.set(std::span(offsets_.data(), count), std::span(levels_.data(), count));
        for (size_t a = 0; a < motors_.size(); ++a) {
            if (plan.direction(a) != 0) {
                enabled_[a] = true;
                dirState_[a] = plan.direction(a);
            }
        }
        generation = generation_;
    }
    const MonotonicInstant settled = MonotonicClock::now();
    const Nanoseconds lead =
        std::max({options_.startDelay, options_.enableSetup, options_.dirSetup});
    report.startMonotonic = settled + lead;
    report.startRealtime = ClockMapping::sampledNow().toRealtime(report.startMonotonic);
    return generation;
}

bool StepExecutor::Impl::mustStop(const Job &job, uint64_t generation)
{
    if (job.stop != nullptr && job.stop->load(std::memory_order_relaxed)) {
        abort(*job.plan, *job.report, "stop requested");
        return true;
    }
    uint64_t current = 0;
    {
        const std::lock_guard lock(linesMutex_);
        current = generation_;
    }
    if (current != generation) {
        /* ENABLE is already inactive: only account for the steps taken. */
        job.report->stopReason = kReleased;
        return true;
    }
    return false;
}

std::optional<MonotonicInstant> StepExecutor::Impl::waitUntil(MonotonicInstant target,
                                                              const Job &job, uint64_t generation)
{
    const MonotonicInstant wakeAt = target - options_.spinBelow;
    MonotonicInstant now = MonotonicClock::now();
    if (breathe_ && now - lastBreather_ > kMaxBusy && wakeAt - now < kBreather) {
        sleepUntil(now + kBreather);
        lastBreather_ = now = MonotonicClock::now();
    }
    for (; now < wakeAt; now = MonotonicClock::now()) {
        const MonotonicInstant until = std::min(wakeAt, now + kWaitSlice);
        sleepUntil(until);
        if (until - now >= kBreather)
            lastBreather_ = until;
        if (mustStop(job, generation))
            return std::nullopt;
    }
    if (mustStop(job, generation))
        return std::nullopt;
    MonotonicInstant woke = MonotonicClock::now();
    while (woke < target)
        woke = MonotonicClock::now();
    return woke;
}

void StepExecutor::Impl::abort(const MovePlan &plan, MoveReport &report, std::string reason)
{
    report.stopReason = std::move(reason);
    /* Finish any pulse in flight so the STEP lines rest inactive, then drop ENABLE. */
    size_t count = 0;
    for (size_t a = 0; a < plan.axisCount(); ++a) {
        if (axes_[a].high) {
            offsets_[count] = motors_[a].step;
            levels_[count++] = physical(false, motors_[a].stepActiveLow);
        }
    }
    try {
        const std::lock_guard lock(linesMutex_);
        if (count > 0)
            lines_.set(std::span(offsets_.data(), count), std::span(levels_.data(), count));
    } catch (...) {
        /* The release below is what matters. */
    }
    release();
}

void StepExecutor::Impl::run(Job &job)
{
    const MovePlan &plan = *job.plan;
    MoveReport &report = *job.report;
    const size_t axisCount = plan.axisCount();
    for (size_t a = 0; a < axisCount; ++a) {
        const Nanoseconds first = plan.stepCount(a) > 0 ? plan.stepTime(a, 1) : kNever;
        axes_[a] = AxisState{0, false, first, first};
    }
    uint64_t generation = 0;
    try {
        generation = prepareLines(plan, report);
    } catch (const std::exception &e) {
        abort(plan, report, std::string("GPIO error: ") + e.what());
        return;
    }
    const MonotonicInstant start = report.startMonotonic;
    const CpuAccounting accounting = CpuAccounting::now();
    /* Why a move stopped for lateness, with what the thread was given and where time went. */
    const auto lateness = [&](const std::string &edge, Nanoseconds late, Nanoseconds bound) {
        return edge + " late by " + micros(late) + " (bound " + micros(bound) +
               (bound < options_.maxLateness
                    ? ", " + std::to_string(options_.maxLatenessPeriods) + " of its step period"
                    : std::string()) +
               "; " + schedulingSummary() +
               "; during the move: " + CpuAccounting::describeSince(accounting) + ")";
    };
    bool stepEnded = true; /* a step's pulse ended since the trigger was last read */
    /* How far behind the plan the move runs. A late step is never caught up by stepping faster:
     * the rest of the move (every axis, so a coordinated path keeps its shape) shifts by its
     * lateness. Measured at the end of the GPIO call, less the call's own least cost, so that a
     * stall inside the call counts too. */
    Nanoseconds shift{0};
    Nanoseconds callCost = kNever;
    /* The most a step of axis a, its k-th, may be late: the absolute bound, or a fraction of its
     * planned step period where that is less (the first step starts from rest). */
    const auto stepBound = [&](size_t a, int64_t k) {
        const Nanoseconds period =
            k > 1 ? plan.stepTime(a, k) - plan.stepTime(a, k - 1) : plan.stepTime(a, k);
        const auto relative = options_.maxLatenessPeriods * FloatSeconds(period);
        return relative >= options_.maxLateness ? options_.maxLateness
                                                : std::chrono::duration_cast<Nanoseconds>(relative);
    };

    for (;;) {
        if (job.trigger && stepEnded) {
            try {
                report.triggered = triggered(*job.trigger);
            } catch (const std::exception &e) {
                abort(plan, report, std::string("GPIO error: ") + e.what());
                break;
            }
            if (report.triggered)
                break;
            stepEnded = false;
        }
        /* k-way merge of the axes' next edges; those due at the same instant share a call. */
        Nanoseconds t = kNever;
        for (size_t a = 0; a < axisCount; ++a)
            t = std::min(t, axes_[a].due);
        if (t == kNever)
            break;
        const std::optional<MonotonicInstant> woke = waitUntil(start + t, job, generation);
        if (!woke)
            break;

        size_t count = 0;
        bool startsStep = false;
        Nanoseconds bound = options_.maxLateness;
        for (size_t a = 0; a < axisCount; ++a) {
            if (axes_[a].due != t)
                continue;
            if (!axes_[a].high) {
                startsStep = true;
                bound = std::min(bound, stepBound(a, axes_[a].steps + 1));
            }
            batchAxis_[count] = a;
            offsets_[count] = motors_[a].step;
            levels_[count++] = physical(!axes_[a].high, motors_[a].stepActiveLow);
        }
        /* A step already too late is not taken at all: the motor stops one step short instead
         * of stepping at the wrong moment. (A late end of a pulse only lengthens it.) */
        if (const Nanoseconds late = *woke - start - t; startsStep && late > bound) {
            report.maxLateness = std::max(report.maxLateness, late);
            abort(plan, report,
                  lateness("edge " + std::to_string(report.edges + 1) + " would be", late, bound) +
                      ": not sent");
            break;
        }
        try {
            if (!setLines(count, generation)) {
                report.stopReason = kReleased;
                break;
            }
        } catch (const std::exception &e) {
            abort(plan, report, std::string("GPIO error: ") + e.what());
            break;
        }
        /* Read after the call: the lines changed no later than this. */
        const Nanoseconds done = MonotonicClock::now() - start;
        callCost = std::min(callCost, done - (*woke - start));

        Nanoseconds worst{0};
        bool tooLate = false;
        Nanoseconds violated = options_.maxLateness; /* the bound a step broke */
        Nanoseconds behind{0}; /* of the batch's steps, against the shifted plan */
        for (size_t i = 0; i < count; ++i) {
            AxisState &axis = axes_[batchAxis_[i]];
            const Nanoseconds late = done - (axis.planned + shift);
            worst = std::max(worst, late);
            if (!axis.high) {
                behind = std::max(behind, done - callCost - (axis.planned + shift));
                const Nanoseconds b = stepBound(batchAxis_[i], axis.steps + 1);
                if (late > b) {
                    tooLate = true;
                    violated = std::min(violated, b);
                }
            }
            if (options_.recordLateness)
                report.lateness[report.edges] = late;
            ++report.edges;
            if (!axis.high) {
                ++axis.steps;
                const size_t a = batchAxis_[i];
                liveSteps_[a].store(plan.fromStep(a) + plan.direction(a) * axis.steps,
                                    std::memory_order_relaxed);
                axis.planned += options_.stepPulse;
            } else {
                stepEnded = true;
                const int64_t n = plan.stepCount(batchAxis_[i]);
                axis.planned =
                    axis.steps < n ? plan.stepTime(batchAxis_[i], axis.steps + 1) : kNever;
            }
            axis.high = !axis.high;
        }
        /* A step held back by a late pulse end, or late itself, moves the rest of the move
         * (unless the driver can take a catch-up burst). */
        if (!options_.catchUp)
            shift += behind;
        report.shift = shift;
        for (size_t a = 0; a < axisCount; ++a) {
            AxisState &axis = axes_[a];
            if (axis.planned == kNever)
                axis.due = kNever;
            else if (axis.due == t) /* just emitted: its next edge */
                axis.due = std::max(axis.planned + shift, done + options_.stepPulse);
            else
                axis.due = std::max(axis.due, axis.planned + shift);
        }
        report.maxLateness = std::max(report.maxLateness, worst);
        if (worst > options_.maxLateness || tooLate) {
            abort(plan, report, lateness("edge " + std::to_string(report.edges), worst, violated));
            break;
        }
    }
    for (size_t a = 0; a < axisCount; ++a)
        report.finalSteps[a] = plan.fromStep(a) + plan.direction(a) * axes_[a].steps;
    report.completed = report.stopReason.empty() && !report.triggered;
    report.endMonotonic = MonotonicClock::now();
}

bool StepExecutor::Impl::triggered(const InputTrigger &trigger)
{
    const std::lock_guard lock(linesMutex_);
    return (lines_.get(trigger.line) != 0) != trigger.activeLow;
}

StepExecutor::StepExecutor(GpioLines &lines, std::vector<MotorLines> motors,
                           ExecutorOptions options)
    : impl_(std::make_unique<Impl>(lines, std::move(motors), options))
{
}

StepExecutor::~StepExecutor() = default;

MoveReport StepExecutor::execute(const MovePlan &plan, const std::atomic<bool> *stop,
                                 const MoveObserver *observer)
{
    return impl_->execute(plan, stop, observer, std::nullopt);
}

MoveReport StepExecutor::executeUntil(const MovePlan &plan, InputTrigger trigger,
                                      const std::atomic<bool> *stop, const MoveObserver *observer)
{
    return impl_->execute(plan, stop, observer, trigger);
}

void StepExecutor::release() noexcept
{
    impl_->release();
}

const RealtimeStatus &StepExecutor::realtimeStatus() const
{
    return impl_->status_;
}

} // namespace lockstep
