/* `lockstep selftest`'s findings: one line per check, PASS, WARN, FAIL or SKIP, and the exit
 * status of the worst. */
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace lockstep
{

/* Ordered from best to worst, except SKIP: a check that could not run here (no such hardware,
 * not asked for) says why and does not count against the node. */
enum class Verdict { Pass, Skip, Warn, Fail };

const char *verdictName(Verdict verdict);

struct Finding {
    Verdict verdict = Verdict::Pass;
    std::string area; /* gpio, timing, realtime, camera CAM, board, clock */
    std::string text; /* what was found, and for WARN/FAIL what to do */
};

/* Exit statuses of `lockstep selftest` by its worst finding. 2 (bad input) comes from the
 * dispatcher as for every command. */
constexpr int kSelftestPassed = 0; /* PASS and SKIP only */
constexpr int kSelftestFailed = 1; /* at least one FAIL */
constexpr int kSelftestWarned = 3; /* WARN, no FAIL: it runs, but not as well as it could */

class SelftestReport
{
public:
    explicit SelftestReport(std::FILE *out) : out_(out) {}

    /* Records and prints at once: a check that hangs or crashes leaves the ones before it. */
    void add(Verdict verdict, std::string area, std::string text);
    void add(const Finding &finding) { add(finding.verdict, finding.area, finding.text); }

    const std::vector<Finding> &findings() const { return findings_; }
    Verdict worst() const;
    int exitStatus() const;
    /* "selftest: N PASS, N WARN, N FAIL, N SKIP" */
    std::string summary() const;

private:
    std::FILE *out_;
    std::vector<Finding> findings_;
};

} // namespace lockstep
