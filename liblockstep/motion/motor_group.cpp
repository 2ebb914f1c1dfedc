#include "motion/motor_group.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "gpio/motor_lines.h"
#include "gpio/open_gpio.h"
#include "motion/position_store.h"
#include "util/death_watchdog.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

const char *unitName(const MotorConfig &m)
{
    return m.units == Units::Degrees ? "deg" : "mm";
}

std::string format(double v)
{
    std::ostringstream out;
    out << v;
    return out.str();
}

/* A limit from the plan, which may lower the rig's but never raise it. */
double limit(const MotorConfig &m, const char *what, double rigValue,
             const std::optional<double> &override)
{
    if (!override)
        return rigValue;
    if (!std::isfinite(*override) || *override <= 0 || *override > rigValue)
        throw InputError("motor " + m.name + ": " + what + " " + format(*override) +
                         " must be positive and at most the rig's " + format(rigValue));
    return *override;
}

} // namespace

CheckedLimits checkMoveTarget(const MotorConfig &m, double target, const MotionOverride &limits)
{
    const std::string where = "motor " + m.name + ": target " + format(target) + " " + unitName(m);
    if (!std::isfinite(target))
        throw InputError(where + " is not a number");
    if (m.softMin && target < *m.softMin)
        throw InputError(where + " is below its soft minimum " + format(*m.softMin));
    if (m.softMax && target > *m.softMax)
        throw InputError(where + " is above its soft maximum " + format(*m.softMax));
    return {limit(m, "speed", m.maxSpeed, limits.maxSpeed),
            limit(m, "acceleration", m.maxAccel, limits.maxAccel)};
}

ExecutorOptions executorOptionsFor(const RigConfig &rig)
{
    ExecutorOptions options;
    options.stepPulse = rig.stepPulse;
    options.dirSetup = rig.dirSetup;
    options.enableSetup = rig.enableSetup;
    options.maxLateness = rig.maxLateness;
    options.maxLatenessPeriods = rig.maxLatenessPeriods;
    options.priority = rig.executorPriority;
    return options;
}

class MotorGroup::Impl
{
public:
    Impl(const RigConfig &rig, const NodeConfig &node, std::vector<std::string> motors,
         ExecutorOptions options);

    MoveReport moveTo(const std::map<std::string, double> &targets,
                      const std::map<std::string, MotionOverride> &overrides,
                      const std::atomic<bool> *stop, const PositionObserver &observer);
    HomeReport home(const std::string &motor, const std::atomic<bool> *stop,
                    const PositionObserver &observer);
    std::vector<Nanoseconds>
    plannedDurations(const std::vector<std::map<std::string, double>> &targets,
                     const std::map<std::string, MotionOverride> &overrides) const;

    size_t index(const std::string &motor) const;

    std::vector<std::string> names_;
    std::vector<MotorConfig> configs_;
    std::vector<int64_t> steps_;
    /* Sim motors: the simulated driver's count minus ours (changes when homing zeroes). */
    std::vector<int64_t> simOffset_;
    ExecutorOptions options_;
    PositionStore store_;
    bool sim_ = false;
    std::unique_ptr<GpioLines> lines_;
    /* After lines_, before the executor's thread exists (util/death_watchdog.h). */
    std::unique_ptr<DeathWatchdog> watchdog_;
    std::unique_ptr<StepExecutor> executor_; /* after lines_: released and destroyed first */

private:
    /* Step rate and acceleration of motor i in steps/s and steps/s^2, validated. */
    AxisRequest axis(size_t i, int64_t to, double speed, double accel) const;
    MoveReport run(const std::vector<AxisRequest> &axes, const std::atomic<bool> *stop,
                   const PositionObserver &observer,
                   std::optional<InputTrigger> until = std::nullopt);
    /* Moves motor i by `delta` steps; false (with `message`) if the move stopped early. */
    bool stepBy(size_t i, int64_t delta, double speed, const std::atomic<bool> *stop,
                const PositionObserver &observer, std::string &message);
    bool endstopActive(size_t i) const;
    /* Drives every ENABLE inactive if this process dies without releasing them. */
    std::unique_ptr<DeathWatchdog> watchForDeath(const NodeConfig &node);
    int64_t homingTravelLimit(const MotorConfig &m) const;
    void save();
};

MotorGroup::Impl::Impl(const RigConfig &rig, const NodeConfig &node,
                       std::vector<std::string> motors, ExecutorOptions options)
    : names_(std::move(motors)), options_(options), store_("")
{
    if (names_.empty())
        for (const MotorConfig &m : node.motors)
            names_.push_back(m.name);
    if (names_.empty())
        throw InputError("node " + node.hostname + " has no motors");
    for (const std::string &name : names_) {
        const MotorConfig *m = node.findMotor(name);
        if (m == nullptr)
            throw InputError("node " + node.hostname + " has no motor '" + name + "'");
        configs_.push_back(*m);
    }
    sim_ = configs_.front().backend == Backend::Sim;
    /* A simulated motor loses no step however late one comes: only the absolute bound, and
     * late steps are caught up, so its moves last as planned (the scan's timeline budgets
     * max_lateness per move, not the sum of a loaded machine's stalls). */
    if (sim_) {
        options_.maxLatenessPeriods = std::numeric_limits<double>::infinity();
        options_.catchUp = true;
    }
    store_ = PositionStore(PositionStore::pathFor(rig, node, configs_.front().backend));

    const std::map<std::string, StoredPosition> stored = store_.load();
    std::vector<int64_t> driverSteps;
    for (const std::string &name : names_) {
        const auto it = stored.find(name);
        const StoredPosition p = it != stored.end() ? it->second : StoredPosition{};
        steps_.push_back(p.step);
        driverSteps.push_back(p.simDriverStep.value_or(p.step));
        simOffset_.push_back(driverSteps.back() - p.step);
    }
    lines_ = openMotorLines(rig, node, names_, driverSteps, "lockstep");
    watchdog_ = watchForDeath(node);
    std::vector<MotorLines> lines;
    for (const MotorConfig &m : configs_)
        lines.push_back(motorLinesOf(m));
    executor_ = std::make_unique<StepExecutor>(*lines_, std::move(lines), options_);
}

std::unique_ptr<DeathWatchdog> MotorGroup::Impl::watchForDeath(const NodeConfig &node)
{
    std::vector<unsigned> offsets;
    std::vector<uint8_t> inactive;
    std::string motors;
    for (const MotorConfig &m : configs_) {
        const MotorLines lines = motorLinesOf(m);
        motors += (motors.empty() ? "" : ", ") + m.name;
        if (std::find(offsets.begin(), offsets.end(), lines.enable) != offsets.end())
            continue; /* one ENABLE shared by several drivers */
        offsets.push_back(lines.enable);
        inactive.push_back(lines.enableActiveLow ? 1 : 0);
    }
    GpioLines *gpio = lines_.get();
    return std::make_unique<DeathWatchdog>(
        [gpio, offsets, inactive] {
            bool active = false;
            for (size_t i = 0; i < offsets.size() && !active; ++i) {
                try {
                    active = gpio->get(offsets[i]) != inactive[i];
                } catch (...) {
                    active = true; /* unknown: drive it anyway */
                }
            }
            if (active)
                gpio->set(offsets, inactive);
            return active;
        },
        "lockstep: watchdog: " + describeWatchedProcess() + " on " + node.hostname +
            " ended with its motors enabled (killed or crashed); ENABLE of " + motors +
            " driven inactive");
}

size_t MotorGroup::Impl::index(const std::string &motor) const
{
    const auto it = std::find(names_.begin(), names_.end(), motor);
    if (it == names_.end())
        throw InputError("motor '" + motor + "' is not in this motor group");
    return static_cast<size_t>(it - names_.begin());
}

AxisRequest MotorGroup::Impl::axis(size_t i, int64_t to, double speed, double accel) const
{
    const MotorConfig &m = configs_[i];
    const double rate = speed * m.stepsPerUnit();
    const double stepAccel = accel * m.stepsPerUnit();
    if (!(rate > 0) || !(stepAccel > 0) || !std::isfinite(rate) || !std::isfinite(stepAccel))
        throw InputError("motor " + m.name + ": speed and acceleration must be positive");
    if (to != steps_[i]) {
        const std::string tooFast = speedBeyondStepPulse(m, speed, options_.stepPulse);
        if (!tooFast.empty())
            throw InputError("motor " + m.name + ": " + tooFast);
    }
    return AxisRequest{steps_[i], to, rate, stepAccel};
}

void MotorGroup::Impl::save()
{
    std::map<std::string, StoredPosition> positions;
    for (size_t i = 0; i < names_.size(); ++i) {
        StoredPosition p{steps_[i], {}};
        if (sim_)
            p.simDriverStep = steps_[i] + simOffset_[i];
        positions[names_[i]] = p;
    }
    store_.save(positions);
}

MoveReport MotorGroup::Impl::run(const std::vector<AxisRequest> &axes,
                                 const std::atomic<bool> *stop, const PositionObserver &observer,
                                 std::optional<InputTrigger> until)
{
    MoveObserver watch;
    if (observer) {
        watch.onProgress = [this, &observer](std::span<const int64_t> steps) {
            std::vector<double> positions(steps.size());
            for (size_t i = 0; i < steps.size(); ++i)
                positions[i] = configs_[i].positionForStep(steps[i]);
            observer(positions);
        };
    }
    const MovePlan plan = MovePlan::plan(axes);
    const MoveObserver *watching = observer ? &watch : nullptr;
    MoveReport report = until ? executor_->executeUntil(plan, *until, stop, watching)
                              : executor_->execute(plan, stop, watching);
    steps_ = report.finalSteps;
    return report;
}

MoveReport MotorGroup::Impl::moveTo(const std::map<std::string, double> &targets,
                                    const std::map<std::string, MotionOverride> &overrides,
                                    const std::atomic<bool> *stop, const PositionObserver &observer)
{
    /* Everything is checked before the first edge. */
    std::vector<AxisRequest> axes;
    for (size_t i = 0; i < names_.size(); ++i)
        axes.push_back(AxisRequest{steps_[i], steps_[i], 0, 0});
    for (const auto &[name, target] : targets) {
        const size_t i = index(name);
        const MotorConfig &m = configs_[i];
        const auto o = overrides.find(name);
        const CheckedLimits use =
            checkMoveTarget(m, target, o != overrides.end() ? o->second : MotionOverride{});
        axes[i] = axis(i, m.stepForPosition(target), use.speed, use.accel);
    }
    MoveReport report = run(axes, stop, observer);
    save();
    return report;
}

std::vector<Nanoseconds>
MotorGroup::Impl::plannedDurations(const std::vector<std::map<std::string, double>> &targets,
                                   const std::map<std::string, MotionOverride> &overrides) const
{
    std::vector<int64_t> at = steps_;
    std::vector<Nanoseconds> durations;
    durations.reserve(targets.size());
    for (const std::map<std::string, double> &position : targets) {
        std::vector<AxisRequest> axes;
        for (size_t i = 0; i < names_.size(); ++i)
            axes.push_back(AxisRequest{at[i], at[i], 0, 0});
        bool moves = false;
        for (const auto &[name, target] : position) {
            const size_t i = index(name);
            const MotorConfig &m = configs_[i];
            const auto o = overrides.find(name);
            const CheckedLimits use =
                checkMoveTarget(m, target, o != overrides.end() ? o->second : MotionOverride{});
            const int64_t to = m.stepForPosition(target);
            const double perUnit = m.stepsPerUnit();
            axes[i] = AxisRequest{at[i], to, use.speed * perUnit, use.accel * perUnit};
            moves = moves || to != at[i];
            at[i] = to;
        }
        durations.push_back(moves ? options_.startDelay + MovePlan::plan(axes).duration()
                                  : Nanoseconds::zero());
    }
    return durations;
}

bool MotorGroup::Impl::stepBy(size_t i, int64_t delta, double speed, const std::atomic<bool> *stop,
                              const PositionObserver &observer, std::string &message)
{
    std::vector<AxisRequest> axes;
    for (size_t a = 0; a < names_.size(); ++a)
        axes.push_back(AxisRequest{steps_[a], steps_[a], 0, 0});
    axes[i] = axis(i, steps_[i] + delta, speed, configs_[i].maxAccel);
    const MoveReport report = run(axes, stop, observer);
    if (!report.completed)
        message = "move stopped: " + report.stopReason;
    return report.completed;
}

bool MotorGroup::Impl::endstopActive(size_t i) const
{
    const LineConfig &endstop = *configs_[i].endstop;
    return (lines_->get(endstop.offset) != 0) != endstop.activeLow;
}

int64_t MotorGroup::Impl::homingTravelLimit(const MotorConfig &m) const
{
    const std::optional<double> travel = homingTravel(m);
    if (!travel)
        throw InputError("motor " + m.name +
                         ": homing needs soft_min and soft_max to bound its travel");
    /* 10 % margin for a start slightly beyond the soft limits. */
    return std::llround(1.1 * *travel * m.stepsPerUnit()) + 1;
}

HomeReport MotorGroup::Impl::home(const std::string &motor, const std::atomic<bool> *stop,
                                  const PositionObserver &observer)
{
    const size_t i = index(motor);
    const MotorConfig &m = configs_[i];
    if (!m.endstop)
        throw InputError("motor " + motor + " has no endstop; it cannot be homed");
    const double speed = homingSpeed(m);
    const int64_t limitSteps = homingTravelLimit(m);
    const int dir = m.homingDirection >= 0 ? 1 : -1;
    const int64_t start = steps_[i];

    HomeReport report;
    auto travelled = [&]() -> int64_t { return std::llabs(steps_[i] - start); };
    auto finish = [&](HomeReport r) {
        r.stepsTravelled = travelled();
        save();
        return r;
    };

    /* Approach in one move at homing speed that the executor ends at the step where the
     * endstop reads active (Klipper homes the same way: the step timer watches the endstop)... */
    if (!endstopActive(i)) {
        std::vector<AxisRequest> axes;
        for (size_t a = 0; a < names_.size(); ++a)
            axes.push_back(AxisRequest{steps_[a], steps_[a], 0, 0});
        axes[i] = axis(i, steps_[i] + dir * limitSteps, speed, m.maxAccel);
        const MoveReport approach =
            run(axes, stop, observer, InputTrigger{m.endstop->offset, m.endstop->activeLow});
        if (!approach.triggered) {
            if (approach.completed)
                return finish({false, 0,
                               "endstop not found within " +
                                   format(double(limitSteps) / m.stepsPerUnit()) + " " +
                                   unitName(m)});
            return finish({false, 0, "move stopped: " + approach.stopReason});
        }
    }
    /* ...then find its edge step by step: back off until it clears, one step back in. */
    int64_t backedOff = 0;
    while (endstopActive(i)) {
        if (++backedOff > limitSteps)
            return finish({false, 0, "endstop stays active while backing off"});
        if (!stepBy(i, -dir, speed, stop, observer, report.message))
            return finish(report);
    }
    if (!stepBy(i, dir, speed, stop, observer, report.message))
        return finish(report);
    if (!endstopActive(i))
        return finish({false, 0, "endstop is not stable at its edge"});

    /* The endstop's edge becomes position 0; the sim driver keeps its own count. */
    report = {true, travelled(), "endstop found"};
    simOffset_[i] += steps_[i];
    steps_[i] = 0;
    save();
    return report;
}

MotorGroup::MotorGroup(const RigConfig &rig, const NodeConfig &node,
                       std::vector<std::string> motors, ExecutorOptions options)
    : impl_(std::make_unique<Impl>(rig, node, std::move(motors), options))
{
}

MotorGroup::~MotorGroup()
{
    release();
}

MoveReport MotorGroup::moveTo(const std::map<std::string, double> &targets,
                              const std::map<std::string, MotionOverride> &overrides,
                              const std::atomic<bool> *stop, const PositionObserver &observer)
{
    return impl_->moveTo(targets, overrides, stop, observer);
}

std::vector<Nanoseconds>
MotorGroup::plannedDurations(const std::vector<std::map<std::string, double>> &targets,
                             const std::map<std::string, MotionOverride> &overrides) const
{
    return impl_->plannedDurations(targets, overrides);
}

HomeReport MotorGroup::home(const std::string &motor, const std::atomic<bool> *stop,
                            const PositionObserver &observer)
{
    return impl_->home(motor, stop, observer);
}

void MotorGroup::release() noexcept
{
    impl_->executor_->release();
}

double MotorGroup::position(const std::string &motor) const
{
    const size_t i = impl_->index(motor);
    return impl_->configs_[i].positionForStep(impl_->steps_[i]);
}

int64_t MotorGroup::stepPosition(const std::string &motor) const
{
    return impl_->steps_[impl_->index(motor)];
}

const std::vector<std::string> &MotorGroup::motors() const
{
    return impl_->names_;
}

const RealtimeStatus &MotorGroup::realtimeStatus() const
{
    return impl_->executor_->realtimeStatus();
}

} // namespace lockstep
