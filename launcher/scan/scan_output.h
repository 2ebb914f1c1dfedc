/* A scan's output folder before the first position: a new scan (copies of the plan and rig, an
 * empty manifest) or a resumed one (the manifest's whole positions kept, the rest dropped), and
 * scan.json once the frame grid is agreed. Rank 0 only. */
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "camera/frame_grid.h"
#include "commands/config_files.h"
#include "scan/manifest.h"
#include "scan/output_lock.h"
#include "scan/rank_messages.h"
#include "scan/scan_layout.h"

namespace lockstep
{

/* The size of a frame file on disk, or nothing if it is not there. */
using FileSizeOf = std::function<std::optional<uint64_t>(const std::string &file)>;

/* The first position a resumed scan must take again: the first one without its position line
 * or without every one of its frames on disk at the size the manifest recorded. */
size_t resumePoint(const ManifestContents &manifest, size_t positions, size_t framesPerPosition,
                   const FileSizeOf &sizeOf);

struct PreparedOutput {
    StartDecision decision;
    /* The folder's lock, to hold for the whole scan; none when another scan holds it (the
     * decision says so) or it could not be taken. */
    std::unique_ptr<OutputLock> lock;
    std::unique_ptr<ManifestWriter> manifest; /* none when the decision is an error */
    size_t framesKept = 0;                    /* frames of the kept positions (resume) */
    /* A new scan: the plan and rig texts, for scan.json. */
    std::optional<std::pair<std::string, std::string>> newScanTexts;
};

/* Locks the folder, decides where to start and prepares it. Bad input (another scan running
 * there, a scan already there without --resume, nothing to resume, plan or rig changed since) is
 * a decision, not an exception. */
PreparedOutput prepareOutput(const ScanLayout &layout, const LoadedConfig &config, bool resume);

/* What scan.json records besides the plan and rig. */
struct ScanFacts {
    std::vector<std::string> ranks; /* node by rank */
    FrameGrid grid;
    Nanoseconds readout{0};
    std::string coordination;
};

void writeScanJson(const ScanLayout &layout, const LoadedConfig &config, const ScanFacts &facts,
                   const std::string &planText, const std::string &rigText);

} // namespace lockstep
