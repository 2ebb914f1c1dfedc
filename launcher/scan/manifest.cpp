#include "scan/manifest.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "util/atomic_file.h"
#include "util/errors.h"

namespace lockstep
{

using nlohmann::json;

json toJson(const FrameRecord &r)
{
    return json{{"type", "frame"},
                {"position", r.position},
                {"frame", r.frame},
                {"node", r.node},
                {"camera", r.camera},
                {"file", r.file},
                {"T", wireNanos(r.captureInstant)},
                {"sensor_ts", wireNanos(r.sensorTimestamp)},
                {"exposure_us", r.exposure.count()},
                {"gain", r.gain},
                {"width", r.width},
                {"height", r.height},
                {"bytes", r.bytes},
                {"sha256", r.sha256},
                {"encode_ms", r.encodeMs},
                {"write_ms", r.writeMs}};
}

json toJson(const LockFigures &f)
{
    return {{"frames", f.frames},
            {"max_us", f.maxUs},
            {"mean_us", f.meanUs},
            {"latency_frames", f.latencyFrames}};
}

LockFigures lockFromJson(const json &j)
{
    return {j.at("frames").get<unsigned>(), j.at("max_us").get<double>(),
            j.at("mean_us").get<double>(), j.at("latency_frames").get<unsigned>()};
}

json toJson(const PositionRecord &r)
{
    json lock = json::object();
    for (const auto &[camera, figures] : r.lock)
        lock[camera] = toJson(figures);
    json timings = json::object();
    for (const auto &[node, t] : r.timings)
        timings[node] = {{"move_ms", t.moveMs},
                         {"settle_ms", t.settleMs},
                         {"capture_ms", t.captureMs},
                         {"fence_ms", t.fenceMs}};
    return json{{"type", "position"},       {"position", r.position},
                {"commanded", r.commanded}, {"T", wireNanos(r.captureInstant)},
                {"timings", timings},       {"lock", lock}};
}

FrameRecord frameFromJson(const json &j)
{
    FrameRecord r;
    r.position = j.at("position").get<unsigned>();
    r.frame = j.at("frame").get<unsigned>();
    r.node = j.at("node").get<std::string>();
    r.camera = j.at("camera").get<std::string>();
    r.file = j.at("file").get<std::string>();
    r.captureInstant = realtimeFromWire(j.at("T").get<int64_t>());
    r.sensorTimestamp = realtimeFromWire(j.at("sensor_ts").get<int64_t>());
    r.exposure = Microseconds(j.at("exposure_us").get<int64_t>());
    r.gain = j.at("gain").get<double>();
    r.width = j.at("width").get<unsigned>();
    r.height = j.at("height").get<unsigned>();
    r.bytes = j.at("bytes").get<uint64_t>();
    r.sha256 = j.at("sha256").get<std::string>();
    r.encodeMs = j.value("encode_ms", 0.0);
    r.writeMs = j.value("write_ms", 0.0);
    return r;
}

PositionRecord positionFromJson(const json &j)
{
    PositionRecord r;
    r.position = j.at("position").get<unsigned>();
    r.commanded = j.at("commanded").get<std::map<std::string, double>>();
    r.captureInstant = realtimeFromWire(j.at("T").get<int64_t>());
    for (const auto &[node, t] : j.at("timings").items())
        r.timings[node] = {t.at("move_ms").get<double>(), t.at("settle_ms").get<double>(),
                           t.at("capture_ms").get<double>(), t.value("fence_ms", 0.0)};
    if (j.contains("lock"))
        for (const auto &[camera, figures] : j.at("lock").items())
            r.lock[camera] = lockFromJson(figures);
    return r;
}

ManifestContents readManifest(const std::string &path)
{
    std::ifstream in(path);
    if (!in)
        throw RunError("cannot read " + path + ": " + std::strerror(errno));
    ManifestContents contents;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (line.empty())
            continue;
        const std::string where = path + ":" + std::to_string(number) + ": ";
        try {
            const json j = json::parse(line);
            const std::string type = j.at("type").get<std::string>();
            if (type == "frame")
                contents.frames.push_back(frameFromJson(j));
            else if (type == "position")
                contents.positions.push_back(positionFromJson(j));
            else if (type == "complete")
                contents.complete = true;
            else
                contents.problems.push_back(where + "unknown line type: " + type);
        } catch (const json::exception &e) {
            contents.problems.push_back(where + e.what());
        }
    }
    return contents;
}

ManifestWriter::ManifestWriter(const std::string &path, const std::vector<json> &keep) : path_(path)
{
    std::string text;
    for (const json &line : keep)
        text += line.dump() + "\n";
    writeFileAtomic(path, text);
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (fd_ < 0)
        throw RunError("cannot open " + path + ": " + std::strerror(errno));
}

ManifestWriter::~ManifestWriter()
{
    if (fd_ >= 0)
        ::close(fd_);
}

void ManifestWriter::append(const json &line)
{
    const std::string text = line.dump() + "\n";
    writeAll(fd_, {reinterpret_cast<const uint8_t *>(text.data()), text.size()}, path_);
    if (::fdatasync(fd_) != 0)
        throw RunError("cannot sync " + path_ + ": " + std::strerror(errno));
}

} // namespace lockstep
