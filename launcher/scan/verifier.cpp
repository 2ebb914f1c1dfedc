#include "scan/verifier.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <span>

#include "camera/camera.h"
#include "camera/sim_scene.h"
#include "config/diagnostic.h"
#include "config/plan.h"
#include "config/rig.h"
#include "image/image.h"
#include "scan/frame_metadata_check.h"
#include "scan/manifest.h"
#include "scan/plan_queries.h"
#include "scan/scan_layout.h"
#include "util/atomic_file.h"
#include "util/statistics.h"

namespace lockstep
{

namespace fs = std::filesystem;

namespace
{

/* a - b folded into (-180, 180]. */
double signedDifference(double a, double b)
{
    double d = std::fmod(a - b, 360.0);
    if (d > 180)
        d -= 360;
    if (d <= -180)
        d += 360;
    return d;
}

struct SimAngle {
    std::string file;
    std::string motor;
    double commandedDeg;
    double seenDeg;
};

struct PlannedFrame {
    const NodeConfig *node;
    const CameraConfig *camera;
    unsigned position;
    unsigned frame;
    ImageFormat format;
};

class Verifier
{
public:
    Verifier(const std::string &root, const VerifyOptions &options)
        : layout_(root), options_(options)
    {
        result_.scanRoot = root;
    }

    VerifyResult run();

private:
    void problem(std::string text) { result_.problems.push_back(std::move(text)); }
    bool loadConfig();
    void checkPositions(const ManifestContents &manifest);
    void checkFrame(const PlannedFrame &planned, const FrameRecord &record,
                    const std::map<std::string, double> &commanded,
                    RealtimeInstant positionInstant);
    void checkIdenticalFrames(const ManifestContents &manifest);
    void readSimAngle(const PlannedFrame &planned, const FrameRecord &record,
                      const std::vector<uint8_t> &bytes,
                      const std::map<std::string, double> &commanded);
    void checkSimAngles();
    void checkStrayFiles(const std::set<std::string> &known);
    void summariseSkew(const ManifestContents &manifest);

    ScanLayout layout_;
    VerifyOptions options_;
    VerifyResult result_;
    RigConfig rig_;
    ScanPlan plan_;
    std::vector<SimAngle> angles_;
};

bool Verifier::loadConfig()
{
    try {
        rig_ = loadRig(layout_.rigCopy());
        plan_ = loadPlan(layout_.planCopy(), rig_);
        return true;
    } catch (const ConfigError &e) {
        for (const Diagnostic &d : e.diagnostics())
            problem(d.str());
    } catch (const std::exception &e) {
        problem(e.what());
    }
    return false;
}

void Verifier::readSimAngle(const PlannedFrame &planned, const FrameRecord &record,
                            const std::vector<uint8_t> &bytes,
                            const std::map<std::string, double> &commanded)
{
    const CameraConfig &camera = *planned.camera;
    const auto target = commanded.find(camera.simMotor);
    if (camera.backend != Backend::Sim || target == commanded.end())
        return;
    Image image;
    try {
        image = decodeImage(bytes);
    } catch (const std::exception &e) {
        problem(record.file + ": cannot decode: " + e.what());
        return;
    }
    /* A rolling shutter exposes the top rows first and the bottom rows a readout later: both
     * must show the commanded angle, unblurred, or some row was exposed while a motor moved.
     * A third of a tiny frame holds too few ring pixels to read an angle to a degree: such
     * frames are judged whole, and the summary says how many. */
    std::vector<std::pair<const char *, RowSpan>> parts{{"top rows", kTopRows},
                                                        {"bottom rows", kBottomRows}};
    if (image.height < kMinRowsForRowCheck) {
        parts = {{"whole frame", kAllRows}};
        ++result_.rowChecksSkipped;
    }
    ++result_.anglesChecked;
    for (const auto &[part, rows] : parts) {
        const AngleEstimate estimate =
            estimateTurntableAngle(image, camera.simAzimuth, camera.rotation == 180, rows);
        const std::string where = record.file + " (" + part + ")";
        if (!estimate.valid) {
            problem(where + ": no turntable found in the picture");
            continue;
        }
        if (estimate.spreadDeg > options_.maxSpreadDeg)
            problem(where + ": motion blur (ring smeared over " +
                    std::to_string(estimate.spreadDeg) + " deg): exposed while moving");
        angles_.push_back({where, camera.simMotor, target->second, estimate.angleDeg});
    }
}

/* The scene's zero is where the motor was homed, which need not be the simulated world's zero
 * (the simulated endstop may sit at -5 deg): one offset per motor, the median over the scan,
 * and every frame must show its commanded angle plus that offset. A frame taken at another
 * position stands out against the others. */
void Verifier::checkSimAngles()
{
    std::map<std::string, std::vector<double>> offsets;
    for (const SimAngle &a : angles_)
        offsets[a.motor].push_back(signedDifference(a.seenDeg, a.commandedDeg));
    for (auto &[motor, values] : offsets) {
        const double offset = percentile(values, 50);
        result_.simZeroOffsetDeg = offset;
        for (const SimAngle &a : angles_) {
            if (a.motor != motor)
                continue;
            const double error =
                std::fabs(signedDifference(signedDifference(a.seenDeg, a.commandedDeg), offset));
            result_.worstAngleErrorDeg = std::max(result_.worstAngleErrorDeg, error);
            if (error > options_.angleToleranceDeg)
                problem(a.file + ": shows " + motor + " at " + std::to_string(a.seenDeg) +
                        " deg, commanded " + std::to_string(a.commandedDeg) +
                        " deg (scene zero at " + std::to_string(offset) + " deg)");
        }
    }
}

void Verifier::checkFrame(const PlannedFrame &planned, const FrameRecord &record,
                          const std::map<std::string, double> &commanded,
                          RealtimeInstant positionInstant)
{
    ++result_.framesChecked;
    const std::string expected =
        framePath(plan_.outputPattern, planned.position, planned.frame, planned.node->hostname,
                  planned.camera->name, planned.format);
    if (record.file != expected)
        problem("manifest names " + record.file + " for " + expected);
    /* A manifest is data: it must not make verify read outside the scan. */
    const fs::path relative(record.file);
    const fs::path normal = relative.lexically_normal();
    if (relative.is_absolute() || normal.empty() || *normal.begin() == "..") {
        problem(record.file + ": outside the scan folder; not read");
        return;
    }
    if (fs::is_symlink(layout_.file(record.file))) {
        problem(record.file + ": a symbolic link, not a frame; not read");
        return;
    }
    const auto where = [&](const std::string &text) { problem(record.file + ": " + text); };
    /* A position's first frames are taken at its T (later frames of a position at later
     * instants, one for all cameras: checkIdenticalFrames). */
    if (planned.frame == 0 && record.captureInstant != positionInstant)
        where("capture instant T " + std::to_string(wireNanos(record.captureInstant)) +
              " differs from its position's " + std::to_string(wireNanos(positionInstant)));
    /* What the plan asked of the camera. A sensor rounds exposure to its line time (tens of us)
     * and gain to its steps: the manifest records what it delivered, within those. */
    const int64_t plannedUs = plan_.capture.exposure.count();
    if (std::llabs(record.exposure.count() - plannedUs) > std::max<int64_t>(100, plannedUs / 100))
        where("exposure " + std::to_string(record.exposure.count()) + " us, the plan asks " +
              std::to_string(plannedUs) + " us");
    if (std::fabs(record.gain - plan_.capture.gain) > 0.05 * plan_.capture.gain)
        where("gain " + std::to_string(record.gain) + ", the plan asks " +
              std::to_string(plan_.capture.gain));
    std::vector<uint8_t> bytes;
    try {
        const std::string text = readTextFile(layout_.file(record.file));
        bytes.assign(text.begin(), text.end());
    } catch (const std::exception &e) {
        problem(record.file + ": missing (" + e.what() + ")");
        return;
    }
    if (bytes.size() != record.bytes)
        problem(record.file + ": " + std::to_string(bytes.size()) + " bytes, manifest says " +
                std::to_string(record.bytes));
    else if (sha256Hex(bytes) != record.sha256)
        problem(record.file + ": checksum does not match the manifest");
    try {
        const ImageSize size = imageSize(bytes);
        if (size.width != record.width || size.height != record.height)
            where("the image is " + std::to_string(size.width) + "x" + std::to_string(size.height) +
                  ", the manifest says " + std::to_string(record.width) + "x" +
                  std::to_string(record.height));
    } catch (const std::exception &e) {
        where(std::string("not an image: ") + e.what());
    }
    for (const std::string &text : planned.format == ImageFormat::Dng ? dngProblems(record, bytes)
                                                                      : exifProblems(record, bytes))
        where(text);
    /* The cameras hold this bound at capture time already; a frame outside it here was not
     * taken by lockstep as recorded. */
    if (const Nanoseconds miss = record.sensorTimestamp - record.captureInstant;
        std::chrono::abs(miss) > plan_.maxSkew)
        problem(record.file + ": exposure started " +
                std::to_string(
                    std::chrono::duration_cast<Microseconds>(std::chrono::abs(miss)).count()) +
                " us " + (miss < Nanoseconds::zero() ? "before" : "after") +
                " the capture instant T (bound " + std::to_string(plan_.maxSkew.count()) + " us)");
    readSimAngle(planned, record, bytes, commanded);
}

void Verifier::checkPositions(const ManifestContents &manifest)
{
    std::map<unsigned, const PositionRecord *> positions;
    for (const PositionRecord &p : manifest.positions)
        if (!positions.emplace(p.position, &p).second)
            problem("position " + std::to_string(p.position) + " appears twice in the manifest");

    /* by node/camera/pos/frame/format: a frame has a file per format */
    std::map<std::string, std::vector<const FrameRecord *>> frames;
    auto key = [](const std::string &node, const std::string &camera, unsigned p, unsigned f,
                  std::string_view extension) {
        return node + "/" + camera + "/" + std::to_string(p) + "/" + std::to_string(f) + "/" +
               std::string(extension);
    };
    for (const FrameRecord &f : manifest.frames) {
        /* A file of no known format is taken for the plan's first, so that checkFrame names
         * what is wrong with it. */
        const ImageFormat format = formatOfFile(f.file).value_or(plan_.capture.formats.front());
        frames[key(f.node, f.camera, f.position, f.frame, fileExtension(format))].push_back(&f);
    }

    std::set<std::string> planned;
    for (unsigned k = 0; k < plan_.positions.size(); ++k) {
        const auto commanded = commandedAt(plan_, k);
        const auto p = positions.find(k);
        if (p == positions.end())
            problem("position " + std::to_string(k) + " has no record in the manifest");
        else if (p->second->commanded != commanded)
            problem("position " + std::to_string(k) +
                    ": manifest's commanded positions differ from the plan");
        for (const NodeConfig &node : rig_.nodes) {
            for (const CameraConfig *cameraConfig : scanCameras(plan_, node)) {
                const CameraConfig &camera = *cameraConfig;
                const std::string id = node.hostname + "/" + camera.name;
                for (unsigned f = 0; f < plan_.framesPerPosition; ++f) {
                    for (const ImageFormat format : plan_.capture.formats) {
                        const std::string name =
                            key(node.hostname, camera.name, k, f, fileExtension(format));
                        planned.insert(name);
                        const auto it = frames.find(name);
                        std::string what = "position " + std::to_string(k) + " frame " +
                                           std::to_string(f) + " of " + id;
                        if (plan_.capture.formats.size() > 1)
                            what += std::string(" (") + (fileExtension(format) + 1) + ")";
                        if (it == frames.end()) {
                            problem(what + " is missing from the manifest");
                            continue;
                        }
                        if (it->second.size() > 1)
                            problem(what + " is recorded " + std::to_string(it->second.size()) +
                                    " times");
                        checkFrame({&node, &camera, k, f, format}, *it->second.front(), commanded,
                                   p == positions.end() ? it->second.front()->captureInstant
                                                        : p->second->captureInstant);
                    }
                }
            }
        }
    }
    for (const auto &[name, records] : frames)
        if (!planned.count(name))
            problem("manifest has a frame the plan does not: " + records.front()->file);
    for (const auto &[k, p] : positions)
        if (k >= plan_.positions.size())
            problem("manifest has position " + std::to_string(k) + " beyond the plan");
}

/* Two cameras never see the same picture: identical files within one position mean one frame
 * was copied over another (with the manifest updated to match). And the frames of one index in
 * a position share their capture instant. */
void Verifier::checkIdenticalFrames(const ManifestContents &manifest)
{
    std::map<std::pair<unsigned, std::string>, const FrameRecord *> seen; /* position, sha256 */
    std::map<std::pair<unsigned, unsigned>, const FrameRecord *> first;   /* position, frame */
    for (const FrameRecord &f : manifest.frames) {
        const auto [one, fresh] = first.try_emplace({f.position, f.frame}, &f);
        if (!fresh && one->second->captureInstant != f.captureInstant)
            problem(f.file + ": capture instant T " + std::to_string(wireNanos(f.captureInstant)) +
                    " differs from " + one->second->file + "'s " +
                    std::to_string(wireNanos(one->second->captureInstant)) +
                    " (one instant for all)");
        const auto [it, unseen] = seen.try_emplace({f.position, f.sha256}, &f);
        if (!unseen)
            problem(f.file + ": identical to " + it->second->file +
                    " of the same position (one frame copied over another)");
    }
}

void Verifier::checkStrayFiles(const std::set<std::string> &known)
{
    for (const auto &entry : fs::recursive_directory_iterator(layout_.root)) {
        const std::string relative = fs::relative(entry.path(), layout_.root).string();
        if (relative == "report" || relative.rfind("report/", 0) == 0 || !entry.is_regular_file())
            continue;
        if (!known.count(relative))
            problem(relative + ": not part of the scan (a temporary or stray file)");
    }
}

void Verifier::summariseSkew(const ManifestContents &manifest)
{
    /* Per position and frame index: the earliest and the latest frame. */
    std::map<std::pair<unsigned, unsigned>, std::pair<const FrameRecord *, const FrameRecord *>>
        range;
    for (const FrameRecord &f : manifest.frames) {
        auto [it, fresh] = range.try_emplace({f.position, f.frame}, &f, &f);
        if (!fresh) {
            if (f.sensorTimestamp < it->second.first->sensorTimestamp)
                it->second.first = &f;
            if (f.sensorTimestamp > it->second.second->sensorTimestamp)
                it->second.second = &f;
        }
    }
    const double bound =
        options_.maxSkewUs > 0 ? options_.maxSkewUs : double(plan_.maxSkew.count());
    std::vector<double> all;
    for (const auto &[key, span] : range) {
        const double us =
            FloatMicros(span.second->sensorTimestamp - span.first->sensorTimestamp).count();
        all.push_back(us);
        if (key.second == 0)
            result_.skew.perPositionUs[key.first] = us;
        if (us > bound)
            problem(span.second->file + ": exposed " + std::to_string(long(us)) + " us after " +
                    span.first->file + " (skew bound " + std::to_string(long(bound)) + " us)");
    }
    result_.skew.p50Us = percentile(all, 50);
    result_.skew.p99Us = percentile(all, 99);
    result_.skew.maxUs = all.empty() ? 0 : *std::max_element(all.begin(), all.end());
    if (result_.skew.maxUs > bound)
        problem("capture skew up to " + std::to_string(long(result_.skew.maxUs)) +
                " us between cameras of one position (bound " + std::to_string(long(bound)) +
                " us)");
}

VerifyResult Verifier::run()
{
    if (!fs::exists(layout_.scanJson())) {
        problem(layout_.root + ": no scan.json: not a lockstep scan");
        return result_;
    }
    if (!loadConfig())
        return result_;
    ManifestContents manifest;
    try {
        manifest = readManifest(layout_.manifest());
    } catch (const std::exception &e) {
        problem(e.what());
        return result_;
    }
    for (const std::string &p : manifest.problems)
        problem(p);
    if (!manifest.complete)
        problem(
            "manifest has no 'complete' line: the scan did not finish (lockstep scan --resume)");
    checkPositions(manifest);
    checkIdenticalFrames(manifest);
    checkSimAngles();

    std::set<std::string> known = {"scan.json", "plan.yaml", "rig.yaml", "manifest.jsonl",
                                   ".lock"}; /* the scan's folder lock (scan/output_lock.h) */
    for (const FrameRecord &f : manifest.frames)
        known.insert(f.file);
    checkStrayFiles(known);
    summariseSkew(manifest);
    return result_;
}

} // namespace

VerifyResult verifyScan(const std::string &scanRoot, const VerifyOptions &options)
{
    return Verifier(scanRoot, options).run();
}

} // namespace lockstep
