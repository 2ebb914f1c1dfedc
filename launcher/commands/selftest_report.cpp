#include "commands/selftest_report.h"

#include <algorithm>

namespace lockstep
{

const char *verdictName(Verdict verdict)
{
    switch (verdict) {
    case Verdict::Pass:
        return "PASS";
    case Verdict::Skip:
        return "SKIP";
    case Verdict::Warn:
        return "WARN";
    case Verdict::Fail:
        return "FAIL";
    }
    return "?";
}

void SelftestReport::add(Verdict verdict, std::string area, std::string text)
{
    std::fprintf(out_, "%-4s  %-14s %s\n", verdictName(verdict), area.c_str(), text.c_str());
    findings_.push_back({verdict, std::move(area), std::move(text)});
}

Verdict SelftestReport::worst() const
{
    Verdict worst = Verdict::Pass;
    for (const Finding &finding : findings_)
        worst = std::max(worst, finding.verdict);
    return worst;
}

int SelftestReport::exitStatus() const
{
    switch (worst()) {
    case Verdict::Fail:
        return kSelftestFailed;
    case Verdict::Warn:
        return kSelftestWarned;
    case Verdict::Pass:
    case Verdict::Skip:
        break;
    }
    return kSelftestPassed;
}

std::string SelftestReport::summary() const
{
    std::string text = "selftest:";
    const char *separator = " ";
    for (const Verdict verdict : {Verdict::Pass, Verdict::Warn, Verdict::Fail, Verdict::Skip}) {
        const auto n = std::count_if(findings_.begin(), findings_.end(),
                                     [verdict](const Finding &f) { return f.verdict == verdict; });
        text += separator + std::to_string(n) + " " + verdictName(verdict);
        separator = ", ";
    }
    return text;
}

} // namespace lockstep
