/* The manifest: written by rank 0's recorder, read back whole, a torn last line found, and the
 * point a resumed scan starts from. */
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "scan/manifest.h"
#include "scan/manifest_recorder.h"
#include "scan/scan_output.h"

using namespace lockstep;
namespace fs = std::filesystem;

namespace
{

struct TempDir {
    fs::path path;
    TempDir()
    {
        std::string pattern = (fs::temp_directory_path() / "lockstep-manifest-XXXXXX").string();
        BOOST_REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() { fs::remove_all(path); }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
};

FrameRecord frame(unsigned position, const std::string &node, uint64_t bytes)
{
    FrameRecord f;
    f.position = position;
    f.node = node;
    f.camera = "cam";
    f.file = "pos-000" + std::to_string(position) + "/" + node + "-cam.jpg";
    f.captureInstant = realtimeFromWire(1'000'000 + position);
    f.sensorTimestamp = f.captureInstant + Nanoseconds(20);
    f.exposure = Microseconds(4000);
    f.gain = 1;
    f.width = 320;
    f.height = 240;
    f.bytes = bytes;
    f.sha256 = std::string(64, 'b');
    return f;
}

RankReport status(const std::string &node, std::vector<FrameRecord> frames,
                  std::optional<unsigned> timingsOf)
{
    RankReport s;
    s.node = node;
    s.frames = std::move(frames);
    if (timingsOf) {
        s.timings = PositionTimings{*timingsOf, {1.5, 2.5, 3.5, 0.75}};
        s.lock[node + "/cam"] = {10, 12.0, 4.0, 6};
    }
    return s;
}

} // namespace

BOOST_AUTO_TEST_CASE(the_recorder_writes_a_position_once_every_rank_sent_its_timings)
{
    const TempDir dir;
    const std::string path = (dir.path / "manifest.jsonl").string();
    {
        ManifestRecorder recorder(
            std::make_unique<ManifestWriter>(path, std::vector<nlohmann::json>{}), 0);
        recorder.beginPosition(0, {{"turntable", 0.0}}, realtimeFromWire(1'000'000));
        /* The exchange after position 0's capture: frames of pi01 only, no timings yet. */
        recorder.record({status("pi01", {frame(0, "pi01", 100)}, std::nullopt),
                         status("pi02", {}, std::nullopt)});
        recorder.flush(); /* the recorder writes on a thread of its own */
        BOOST_TEST(readManifest(path).frames.size() == 1u);
        BOOST_TEST(readManifest(path).positions.empty());
        recorder.beginPosition(1, {{"turntable", 90.0}}, realtimeFromWire(2'000'000));
        recorder.record({status("pi01", {}, 0u), status("pi02", {frame(0, "pi02", 200)}, 0u)});
        recorder.complete(2);
        BOOST_TEST(recorder.framesRecorded() == 2u);
    }
    const ManifestContents m = readManifest(path);
    BOOST_TEST(m.problems.empty());
    BOOST_TEST(m.complete);
    BOOST_TEST_REQUIRE(m.frames.size() == 2u);
    BOOST_TEST(m.frames[1].node == "pi02");
    BOOST_TEST(m.frames[1].bytes == 200u);
    BOOST_TEST(m.frames[1].sha256 == std::string(64, 'b'));
    BOOST_TEST_REQUIRE(m.positions.size() == 1u); /* position 1 still waits for its timings */
    const PositionRecord &p = m.positions[0];
    BOOST_TEST(p.position == 0u);
    BOOST_TEST(p.commanded.at("turntable") == 0.0);
    BOOST_TEST(wireNanos(p.captureInstant) == 1'000'000);
    BOOST_TEST(p.timings.at("pi02").captureMs == 3.5);
    BOOST_TEST(p.timings.at("pi02").fenceMs == 0.75);
    BOOST_TEST(p.lock.at("pi01/cam").maxUs == 12.0);
    BOOST_TEST(p.lock.at("pi02/cam").latencyFrames == 6u);
}

BOOST_AUTO_TEST_CASE(resume_starts_at_the_first_position_not_whole_on_disk)
{
    const TempDir dir;
    const std::string path = (dir.path / "manifest.jsonl").string();
    std::vector<nlohmann::json> lines;
    for (unsigned k = 0; k < 3; ++k) {
        lines.push_back(toJson(frame(k, "pi01", 100)));
        lines.push_back(toJson(frame(k, "pi02", 100)));
        PositionRecord p;
        p.position = k;
        p.timings["pi01"] = {};
        lines.push_back(toJson(p));
    }
    {
        ManifestWriter writer(path, lines);
    }
    /* A crash in the middle of the next line: a torn last line. */
    {
        std::ofstream out(path, std::ios::app);
        out << R"({"type":"frame","position":3,"fra)";
    }
    const ManifestContents m = readManifest(path);
    BOOST_TEST(m.frames.size() == 6u);
    BOOST_TEST(m.positions.size() == 3u);
    BOOST_TEST_REQUIRE(m.problems.size() == 1u);
    BOOST_TEST(m.problems[0].find("manifest.jsonl:10") != std::string::npos);

    std::map<std::string, uint64_t> onDisk;
    for (const FrameRecord &f : m.frames)
        onDisk[f.file] = f.bytes;
    auto sizeOf = [&](const std::string &file) -> std::optional<uint64_t> {
        const auto it = onDisk.find(file);
        return it == onDisk.end() ? std::nullopt : std::optional<uint64_t>(it->second);
    };
    BOOST_TEST(resumePoint(m, 5, 2, sizeOf) == 3u);
    /* Every position on disk: nothing left to take again. */
    BOOST_TEST(resumePoint(m, 3, 2, sizeOf) == 3u);
    /* A frame of position 1 cut short by the crash: position 1 is taken again, and so is
     * everything after it. */
    onDisk["pos-0001/pi02-cam.jpg"] = 60;
    BOOST_TEST(resumePoint(m, 5, 2, sizeOf) == 1u);
    /* A frame missing altogether. */
    onDisk.erase("pos-0000/pi01-cam.jpg");
    BOOST_TEST(resumePoint(m, 5, 2, sizeOf) == 0u);
}
