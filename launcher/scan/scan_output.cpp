#include "scan/scan_output.h"

#include <cstdio>
#include <filesystem>
#include <libcamera/version.h>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <slurm/slurm_version.h>
#include <unistd.h>

#include "coord/coordinator.h"
#include "scan/plan_queries.h"
#include "util/atomic_file.h"
#include "util/errors.h"

namespace lockstep
{

using nlohmann::json;
namespace fs = std::filesystem;

namespace
{

bool isTemporaryName(const std::string &name)
{
    return !name.empty() && name[0] == '.' && name.find(".tmp") != std::string::npos;
}

/* "22.05.8", as Slurm writes its own version. */
std::string slurmVersion()
{
    char text[32];
    std::snprintf(text, sizeof(text), "%d.%02d.%d", SLURM_VERSION_MAJOR(SLURM_VERSION_NUMBER),
                  SLURM_VERSION_MINOR(SLURM_VERSION_NUMBER),
                  SLURM_VERSION_MICRO(SLURM_VERSION_NUMBER));
    return text;
}

std::optional<uint64_t> sizeOnDisk(const std::string &path)
{
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    return ec ? std::nullopt : std::optional<uint64_t>(size);
}

} // namespace

size_t resumePoint(const ManifestContents &manifest, size_t positions, size_t framesPerPosition,
                   const FileSizeOf &sizeOf)
{
    std::map<unsigned, std::set<std::string>> frames;
    for (const FrameRecord &frame : manifest.frames)
        if (sizeOf(frame.file) == frame.bytes)
            frames[frame.position].insert(frame.file);
    std::set<unsigned> recorded;
    for (const PositionRecord &position : manifest.positions)
        recorded.insert(position.position);
    size_t k = 0;
    while (k < positions && recorded.count(unsigned(k)) &&
           frames[unsigned(k)].size() == framesPerPosition)
        ++k;
    return k;
}

PreparedOutput prepareOutput(const ScanLayout &layout, const LoadedConfig &config, bool resume)
{
    PreparedOutput out;
    StartDecision &decision = out.decision;
    try {
        out.lock = std::make_unique<OutputLock>(layout.root);
    } catch (const InputError &e) {
        decision.inputError = e.what();
        return out;
    } catch (const RunError &e) {
        decision.runError = e.what();
        return out;
    }
    const bool exists = fs::exists(layout.manifest());
    if (exists && !resume) {
        decision.inputError =
            layout.root + " already holds a scan; use --resume to continue it, or another --out";
        return out;
    }
    if (!exists && resume) {
        decision.inputError = layout.root + " has no manifest.jsonl: nothing to resume";
        return out;
    }
    try {
        const std::string planText = readTextFile(config.plan.path);
        const std::string rigText = readTextFile(config.rig.path);
        std::vector<json> keep;
        if (resume) {
            if (readTextFile(layout.planCopy()) != planText ||
                readTextFile(layout.rigCopy()) != rigText) {
                decision.inputError = "the plan or rig file changed since " + layout.root +
                                      " was started; resume needs the same files";
                return out;
            }
            const ManifestContents manifest = readManifest(layout.manifest());
            decision.firstPosition =
                resumePoint(manifest, config.plan.positions.size(),
                            expectedFramesPerPosition(config.plan, config.rig),
                            [&](const std::string &file) { return sizeOnDisk(layout.file(file)); });
            /* Keep only whole positions; the rest is captured again and overwritten. */
            for (const PositionRecord &p : manifest.positions)
                if (p.position < decision.firstPosition)
                    keep.push_back(toJson(p));
            for (const FrameRecord &f : manifest.frames)
                if (f.position < decision.firstPosition) {
                    keep.push_back(toJson(f));
                    ++out.framesKept;
                }
            for (const auto &entry : fs::recursive_directory_iterator(layout.root))
                if (entry.is_regular_file() && isTemporaryName(entry.path().filename()))
                    fs::remove(entry.path());
        } else {
            makeDirectories(layout.root);
            writeFileAtomic(layout.planCopy(), planText);
            writeFileAtomic(layout.rigCopy(), rigText);
            out.newScanTexts = {planText, rigText};
        }
        out.manifest = std::make_unique<ManifestWriter>(layout.manifest(), keep);
    } catch (const std::exception &e) {
        decision.runError = e.what();
    }
    return out;
}

void writeScanJson(const ScanLayout &layout, const LoadedConfig &config, const ScanFacts &facts,
                   const std::string &planText, const std::string &rigText)
{
    json cameras = json::array();
    for (const NodeConfig &node : config.rig.nodes)
        for (const CameraConfig *camera : scanCameras(config.plan, node))
            cameras.push_back(node.hostname + "/" + camera->name);
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    const json scan = {
        {"scan", config.plan.name},
        {"plan", "plan.yaml"},
        {"rig", "rig.yaml"},
        {"plan_text", planText}, /* scan.json alone tells how the scan was made */
        {"rig_text", rigText},
        {"plan_source", fs::absolute(config.plan.path).string()},
        {"rig_source", fs::absolute(config.rig.path).string()},
        {"positions", config.plan.positions.size()},
        {"frames_per_position", config.plan.framesPerPosition},
        {"cameras", cameras},
        {"ranks", facts.ranks},
        {"started_realtime_ns", wireNanos(RealtimeClock::now())},
        {"started_on", host},
        {"capture_sync",
         config.plan.capture.sync == CaptureSync::PhaseLocked ? "phase_locked" : "open_loop"},
        {"frame_grid",
         {{"origin_ns", wireNanos(facts.grid.origin)}, {"period_ns", facts.grid.period.count()}}},
        {"readout_ns", facts.readout.count()},
        {"versions",
         {{"lockstep", LOCKSTEP_VERSION},
          {"libcamera", std::to_string(LIBCAMERA_VERSION_MAJOR) + "." +
                            std::to_string(LIBCAMERA_VERSION_MINOR) + "." +
                            std::to_string(LIBCAMERA_VERSION_PATCH)},
          {"pmix", pmixVersion()},
          {"slurm", slurmVersion()},
          {"coordination", facts.coordination}}},
    };
    writeFileAtomic(layout.scanJson(), scan.dump(2) + "\n");
}

} // namespace lockstep
