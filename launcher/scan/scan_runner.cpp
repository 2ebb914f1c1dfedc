#include "scan/scan_runner.h"

#include <cstdio>
#include <optional>

#include "scan/scan_rank.h"
#include "scan/thread_priorities.h"
#include "util/errors.h"
#include "util/signal_guard.h"

namespace lockstep
{

double msSince(MonotonicInstant start)
{
    return std::chrono::duration<double, std::milli>(MonotonicClock::now() - start).count();
}

ScanRank::ScanRank(const ScanOptions &options, SignalGuard &signals)
    : options_(options), signals_(signals)
{
}

ScanRank::~ScanRank()
{
    signals_.setNotice({});
    signals_.setEmergency({});
    for (const ArmedCapture &capture : armed_)
        capture.taken.wait();
}

void ScanRank::say(const std::string &text)
{
    if (!said_.exchange(true))
        std::fprintf(stderr, "lockstep: %s\n", text.c_str());
}

int ScanRank::run(std::optional<int> &rank)
{
    /* Start */
    coord_ = underPmix() ? connectPmix() : soloCoordinator();
    rank = coord_->rank();
    config_ = loadPlanAndRig(options_.plan, options_.rig);
    layout_.emplace(options_.out, config_.plan.name);
    identify();
    StartDecision decision;
    if (coord_->rank() == 0)
        decision = decideStart();
    decision = decodeStartDecision(coord_->broadcast(encode(decision)));
    if (!decision.inputError.empty())
        throw ScanEnded(decision.inputError, kExitBadInput);
    if (!decision.runError.empty())
        throw ScanEnded("error: " + decision.runError, kExitFailure);
    try {
        openDevices();
    } catch (const std::exception &e) {
        fail(e.what());
    }

    /* Grid */
    agreeOnGrid();
    if (error_.empty()) {
        try {
            startCameras();
        } catch (const std::exception &e) {
            fail(e.what());
        }
    }

    /* Plan */
    const ScanPlan &plan = config_.plan;
    const size_t total = plan.positions.size();
    planTimeline(decision.firstPosition);

    /* Positions */
    if (coord_->rank() == 0) {
        progress_ = std::make_unique<Progress>(plan.name, total, decision.firstPosition);
        if (decision.firstPosition > 0)
            std::fprintf(stderr, "%s: resuming at position %zu of %zu\n", plan.name.c_str(),
                         decision.firstPosition + 1, total);
    }
    std::optional<size_t> last;
    /* The main thread keeps the motion starts and the fences. */
    raiseThreadPriority(scanThreadPriorities(config_.rig.executorPriority).timeline);
    armPosition(decision.firstPosition);
    for (size_t k = decision.firstPosition; k < total; ++k) {
        runPosition(k);
        last = k;
        if (progress_)
            progress_->update(k + 1);
    }

    /* Finish */
    finish(total, last);
    return kExitOk;
}

int runScan(const ScanOptions &options, SignalGuard &signals)
{
    std::optional<int> rank;
    try {
        ScanRank runner(options, signals);
        try {
            return runner.run(rank);
        } catch (const ScanEnded &e) {
            /* Said before the rank is torn down: after a signal the launcher may never let
             * PMIx_Finalize return (mpirun ending a job), and the grace period ends it there. */
            if (rank.value_or(0) == 0)
                runner.say(e.what());
            return e.status();
        }
    } catch (const RunError &e) {
        /* This rank's alone, before the ranks could agree to stop (a signal during Start). */
        if (signals.signalNumber() == 0)
            throw;
        std::fprintf(stderr, "lockstep: %s\n", e.what());
        return 128 + signals.signalNumber();
    }
}

} // namespace lockstep
