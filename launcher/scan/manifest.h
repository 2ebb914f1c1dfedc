/* The scan manifest: JSON lines, appended and fsynced by rank 0 as results arrive, so an
 * interrupted scan can be resumed and a finished one verified. Line types:
 *   {"type":"frame", position, frame, node, camera, file, T, sensor_ts, exposure_us, gain,
 *    width, height, bytes, sha256, encode_ms, write_ms}
 *   {"type":"position", position, commanded:{motor:units}, T, timings:{node:{move_ms,
 *    settle_ms, capture_ms, fence_ms}}, lock:{"node/camera":{frames, max_us, mean_us,
 * latency_frames}}}
 *   {"type":"complete", positions, frames}
 * Instants are CLOCK_REALTIME nanoseconds in the file; in memory they are typed (RealtimeInstant,
 * Microseconds), converted once in the codec. */
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "util/chrono_clocks.h"

namespace lockstep
{

struct FrameRecord {
    unsigned position = 0;
    unsigned frame = 0;
    std::string node;
    std::string camera;
    std::string file;               /* relative to the scan root */
    RealtimeInstant captureInstant; /* T */
    RealtimeInstant sensorTimestamp;
    Microseconds exposure{0};
    double gain = 0;
    unsigned width = 0;
    unsigned height = 0;
    uint64_t bytes = 0;
    std::string sha256;
    double encodeMs = 0;
    double writeMs = 0;
};

struct NodeTimings {
    double moveMs = 0;
    double settleMs = 0;
    double captureMs = 0;
    double fenceMs = 0; /* in the position's fence: coordination (0 in manifests before it) */
};

/* One camera's lock to the frame grid over a position: its frames' start minus the grid. */
struct LockFigures {
    unsigned frames = 0;
    double maxUs = 0;
    double meanUs = 0;
    unsigned latencyFrames = 0; /* measured control latency; 0 if not measured (open loop) */
};

struct PositionRecord {
    unsigned position = 0;
    std::map<std::string, double> commanded;
    RealtimeInstant captureInstant;
    std::map<std::string, NodeTimings> timings; /* by node */
    std::map<std::string, LockFigures> lock;    /* by "node/camera" */
};

nlohmann::json toJson(const LockFigures &figures);
LockFigures lockFromJson(const nlohmann::json &json);

struct ManifestContents {
    std::vector<PositionRecord> positions;
    std::vector<FrameRecord> frames;
    bool complete = false;
    /* "manifest.jsonl:LINE: problem" for lines that do not parse (a torn last line after a
     * crash shows up here). */
    std::vector<std::string> problems;
};

nlohmann::json toJson(const FrameRecord &record);
nlohmann::json toJson(const PositionRecord &record);
FrameRecord frameFromJson(const nlohmann::json &json);
PositionRecord positionFromJson(const nlohmann::json &json);

ManifestContents readManifest(const std::string &path);

/* Appends lines, each flushed and fdatasync'ed before append() returns. */
class ManifestWriter
{
public:
    /* truncate: start a new manifest (write whole lines of `keep` first). */
    ManifestWriter(const std::string &path, const std::vector<nlohmann::json> &keep);
    ~ManifestWriter();
    ManifestWriter(const ManifestWriter &) = delete;
    ManifestWriter &operator=(const ManifestWriter &) = delete;

    void append(const nlohmann::json &line);

private:
    std::string path_;
    int fd_ = -1;
};

} // namespace lockstep
