/* `lockstep verify`: is a scan complete and true? Every planned frame present exactly once with
 * a matching checksum, the manifest consistent with the plan, no stray or temporary files, and
 * for simulated cameras the turntable angle read back from the decoded pixels equal to the
 * commanded one, up to one homing offset per motor, and unsmeared (so nothing was exposed at the
 * wrong position or while moving). Skew per position (max minus min
 * sensor timestamp) is summarised and bounded. */
#pragma once

#include <map>
#include <string>
#include <vector>

namespace lockstep
{

struct VerifyOptions {
    /* Per position; above this the scan fails. 0: the plan's max_skew_us. */
    double maxSkewUs = 0;
    double angleToleranceDeg = 1.0;
    double maxSpreadDeg = 3.0; /* ring smear above this = exposed while moving */
};

struct SkewSummary {
    /* By position number (its first frames); a position with no frames has no entry. */
    std::map<unsigned, double> perPositionUs;
    double p50Us = 0;
    double p99Us = 0;
    double maxUs = 0;
};

/* The fewest rows a frame needs for its top and bottom thirds to be read apart. */
constexpr unsigned kMinRowsForRowCheck = 120;

struct VerifyResult {
    std::string scanRoot;
    std::vector<std::string> problems;
    size_t framesChecked = 0;
    size_t anglesChecked = 0;
    /* Frames too small to read the top and bottom rows apart (kMinRowsForRowCheck). */
    size_t rowChecksSkipped = 0;
    double worstAngleErrorDeg = 0;
    double simZeroOffsetDeg = 0; /* where the simulated scene's zero sits in motor coordinates */
    SkewSummary skew;

    bool ok() const { return problems.empty(); }
};

VerifyResult verifyScan(const std::string &scanRoot, const VerifyOptions &options);

} // namespace lockstep
