/* Where a scan's files live: DIR/<scan>/ holds scan.json, copies of the plan and rig as they
 * were, manifest.jsonl and the frames (pos-NNNN/<node>-<camera>.jpg by default). */
#pragma once

#include <string>

namespace lockstep
{

struct ScanLayout {
    std::string root; /* DIR/<scan> */

    ScanLayout(const std::string &outDir, const std::string &scanName);
    explicit ScanLayout(std::string scanRoot) : root(std::move(scanRoot)) {}

    std::string manifest() const { return root + "/manifest.jsonl"; }
    std::string scanJson() const { return root + "/scan.json"; }
    std::string planCopy() const { return root + "/plan.yaml"; }
    std::string rigCopy() const { return root + "/rig.yaml"; }
    std::string reportDir() const { return root + "/report"; }
    std::string file(const std::string &relative) const { return root + "/" + relative; }
};

/* Reads a whole file (throws RunError). */
std::string readTextFile(const std::string &path);

} // namespace lockstep
